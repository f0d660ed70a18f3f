#!/usr/bin/python3
"""Generates an sd-bus *fallback* vtable for one D-Bus interface from its
introspection XML: one table registered once for every object under a path
prefix, the object found by path at call time.

    xml2fallback.py INTERFACE.xml OUTPUT.h

Why not sdbus-c++-xml2cpp's adaptor: sdbus-c++ 1.2 registers each object
on its own (a copy of the vtable, a std::function and a map node per member,
sd-bus's tables per path), ~11 KB for a process object with 26 properties;
at 10 000 processes that alone is more than issue 19's memory budget.
sd-bus's fallback vtables cost nothing per object.

The header declares `<Interface>_fallback<Object>`: a class template whose
pure virtual functions, one per method and property, take the Object that
`find(path)` returned. Methods annotated org.freedesktop.DBus.Method.Async
"server" get a bus::PendingReply to answer later, like sdbus-c++'s Result.
Only the types the interfaces use are mapped; anything else fails here,
at build time."""

import re
import sys
import xml.etree.ElementTree as ET

BASIC = {
    's': 'std::string',
    'u': 'uint32_t',
    'i': 'int32_t',
    't': 'uint64_t',
    'd': 'double',
    'b': 'bool',
}


def split_signature(sig):
    """The complete types of a signature, in order."""
    out, i = [], 0
    while i < len(sig):
        j = complete_type_end(sig, i)
        out.append(sig[i:j])
        i = j
    return out


def complete_type_end(sig, i):
    c = sig[i]
    if c in BASIC:
        return i + 1
    if c == 'a':
        return complete_type_end(sig, i + 1)
    if c == '(':
        i += 1
        while sig[i] != ')':
            i = complete_type_end(sig, i)
        return i + 1
    raise SystemExit('xml2fallback: type %r not supported (signature %r)' % (c, sig))


def cpp_type(sig):
    if sig in BASIC:
        return BASIC[sig]
    if sig.startswith('a'):
        return 'std::vector<%s>' % cpp_type(sig[1:])
    if sig.startswith('('):
        return 'std::tuple<%s>' % ', '.join(cpp_type(t) for t in split_signature(sig[1:-1]))
    raise SystemExit('xml2fallback: type %r not supported' % sig)


def annotation(element, name):
    for a in element.findall('annotation'):
        if a.get('name') == name:
            return a.get('value')
    return None


def property_flags(prop):
    emits = annotation(prop, 'org.freedesktop.DBus.Property.EmitsChangedSignal') or 'true'
    return {
        'true': 'SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE',
        'invalidates': 'SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION',
        'const': 'SD_BUS_VTABLE_PROPERTY_CONST',
        'false': '0',
    }[emits]


def c_names(args):
    return '"%s"' % ''.join(a.get('name') + '\\0' for a in args)


def generate(xml_path):
    root = ET.parse(xml_path).getroot()
    interfaces = root.findall('interface')
    if len(interfaces) != 1:
        raise SystemExit('xml2fallback: one interface per file expected')
    iface = interfaces[0]
    name = iface.get('name')
    cls = name.split('.')[-1] + '_fallback'
    namespace = '::'.join(name.split('.')[:-1])
    if iface.findall('signal'):
        raise SystemExit('xml2fallback: signals are not generated (none were needed)')
    for prop in iface.findall('property'):
        if prop.get('access') != 'read':
            raise SystemExit('xml2fallback: only read-only properties are generated')

    decls, trampolines, table, changed = [], [], [], []
    for m in iface.findall('method'):
        mname = m.get('name')
        ins = [a for a in m.findall('arg') if a.get('direction', 'in') == 'in']
        outs = [a for a in m.findall('arg') if a.get('direction') == 'out']
        for a in ins + outs:
            if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', a.get('name') or ''):
                raise SystemExit('xml2fallback: %s: every argument needs a C name' % mname)
        async_ = annotation(m, 'org.freedesktop.DBus.Method.Async') == 'server'
        in_sig = ''.join(a.get('type') for a in ins)
        out_sig = ''.join(a.get('type') for a in outs)
        params = ['Object& object', 'const bus::Call& call']
        params += ['%s %s' % (cpp_type(a.get('type')), a.get('name')) for a in ins]
        lines = []
        for a in ins:
            lines.append('%s %s{};' % (cpp_type(a.get('type')), a.get('name')))
            lines.append('bus::read(m, %s);' % a.get('name'))
        args = ''.join(', std::move(%s)' % a.get('name') for a in ins)
        call = 'self_->%s(*static_cast<Object*>(found), bus::Call(m)%s' % (mname, args)
        if async_ and outs:
            raise SystemExit('xml2fallback: %s: an async method with results is not generated '
                             '(PendingReply answers with none)' % mname)
        if async_:
            params.append('bus::PendingReply reply')
            ret = 'void'
            lines += [call + ', bus::PendingReply(m));', 'return 1;']
        else:
            if len(outs) > 1:
                raise SystemExit('xml2fallback: %s: one out argument at most' % mname)
            ret = cpp_type(out_sig) if outs else 'void'
            if outs:
                lines.append('return bus::replyWith(m, %s));' % call)
            else:
                lines += [call + ');', 'return bus::replyWith(m);']
        body = ''.join('            %s\n' % line for line in lines)
        decls.append('    virtual %s %s(%s) = 0;' % (ret, mname, ', '.join(params)))
        trampolines.append(
            '    static int method_%s(sd_bus_message* m, void* found, sd_bus_error* error) {\n'
            '        return bus::answer(error, [&] {\n%s        });\n    }\n' % (mname, body))
        table.append('            SD_BUS_METHOD_WITH_NAMES("%s", "%s", %s, "%s", %s, &%s::method_%s, '
                     'SD_BUS_VTABLE_UNPRIVILEGED),' %
                     (mname, in_sig, c_names(ins) if ins else '""', out_sig,
                      c_names(outs) if outs else '""', cls, mname))
    for prop in iface.findall('property'):
        pname, ptype = prop.get('name'), prop.get('type')
        decls.append('    virtual %s %s(Object& object) = 0;' % (cpp_type(ptype), pname))
        trampolines.append(
            '    static int get_%s(sd_bus*, const char*, const char*, const char*, '
            'sd_bus_message* reply, void* found, sd_bus_error* error) {\n'
            '        return bus::answer(error, [&] {\n'
            '            bus::append(reply, self_->%s(*static_cast<Object*>(found)));\n'
            '            return 1;\n        });\n    }\n' % (pname, pname))
        table.append('            SD_BUS_PROPERTY("%s", "%s", &%s::get_%s, 0, %s),' %
                     (pname, ptype, cls, pname, property_flags(prop)))
        if property_flags(prop) == 'SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE':
            changed.append('            if (std::strcmp(name, "%s") == 0) {\n'
                           '                bus::appendVariant(m, %s(object));\n'
                           '                return true;\n'
                           '            }' % (pname, pname))

    return TEMPLATE.format(xml=xml_path.split('/')[-1], namespace=namespace, cls=cls, name=name,
                           decls='\n'.join(decls), trampolines='\n'.join(trampolines),
                           table='\n'.join(table), changed='\n'.join(changed)).replace('bus::', '::forever::bus::')


TEMPLATE = '''// Generated from {xml} by dbus/xml2fallback.py at build time; DO NOT EDIT.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "daemon/bus_fallback.hpp"

namespace {namespace} {{

// {name} for every object under one path prefix (sd_bus_add_fallback_vtable):
// `find` turns a path into the Object the functions below are called on.
template <class Object>
class {cls} {{
  public:
    static constexpr const char* INTERFACE_NAME = "{name}";

    {cls}(const {cls}&) = delete;
    {cls}& operator=(const {cls}&) = delete;

  protected:
    {cls}() = default;
    virtual ~{cls}() {{ detach(); }}

    // Registers the table and the node enumerator under `prefix`; one
    // instance at a time (sd-bus hands the trampolines only the object).
    void attach(sd_bus* bus, const char* prefix) {{
        bus::attachFallback(bus, prefix, INTERFACE_NAME, vtable_, &{cls}::find_, &{cls}::enumerate_,
                            this, self_, slots_);
    }}
    void detach() {{ bus::detachFallback(this, self_, slots_); }}

    // The Object at `path`, or null: sd-bus then answers UnknownObject.
    virtual Object* find(const char* path) = 0;
    // Every object path under the prefix (introspection, GetManagedObjects).
    virtual std::vector<std::string> objectPaths() = 0;

{decls}

    // PropertiesChanged on `path` with the values of `names` (null-ended;
    // each a property that emits changes), the message built here: sd-bus's
    // own emit looks every name up in its tables and finds the object again
    // for each, three times the cost of the message (a stopall at 10 000).
    int emitPropertiesChanged(sd_bus* bus, const char* path, Object& object,
                              const char* const* names) {{
        return bus::emitPropertiesChanged(bus, path, INTERFACE_NAME, names,
                                          [&](sd_bus_message* m, const char* name) {{
{changed}
            return false;
        }});
    }}

  private:
    static int find_(sd_bus*, const char* path, const char*, void*, void** found, sd_bus_error* error) {{
        return bus::answer(error, [&] {{
            Object* object = self_->find(path);
            *found = object;
            return object ? 1 : 0;
        }});
    }}
    // sd-bus asks with the path being introspected or listed: only the
    // prefix or a parent of it has the objects below (an introspection of
    // one object must not list all of them, 10 000 strings a call).
    static int enumerate_(sd_bus*, const char* asked, void*, char*** nodes, sd_bus_error* error) {{
        return bus::answer(error, [&] {{
            return bus::toStrv(bus::isPathOrParent(asked, self_->slots_.prefix.c_str())
                                   ? self_->objectPaths()
                                   : std::vector<std::string>{{}},
                               nodes);
        }});
    }}

{trampolines}
    static inline const sd_bus_vtable vtable_[] = {{
            SD_BUS_VTABLE_START(0),
{table}
            SD_BUS_VTABLE_END}};
    static inline {cls}* self_ = nullptr;
    bus::FallbackSlots slots_;
}};

}}  // namespace {namespace}
'''

if __name__ == '__main__':
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    text = generate(sys.argv[1])
    with open(sys.argv[2], 'w') as f:
        f.write(text)
