#pragma once
// What the tables dbus/xml2fallback.py generates need at run time: values
// to and from sd-bus messages, a call to answer later, errors as replies,
// and the sd_bus under sdbus-c++'s connection.
//
// Why raw sd-bus next to sdbus-c++: one fallback vtable serves every
// /org/forever/Forever1/process/* object, where sdbus-c++ 1.2 would
// register (and keep ~11 KB for) each of them. Both share one sd_bus, so
// one connection, one name and one dispatch (BusAttachment) serve both.
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Message.h>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace forever::bus {

// Throws for a negative sd-bus return code.
void check(int r, const char* what);

// The sd-bus message under an sdbus-c++ one.
sd_bus_message* rawMessage(const sdbus::Message& message);

// The sd_bus an sdbus-c++ message (and so its connection) lives on.
// sdbus-c++ 1.2 does not expose it; Message's handle is a protected member
// of its public header, reached here the way C++ allows (a member pointer
// taken in a derived class).
sd_bus* busOf(const sdbus::Message& message);

// The method call being answered.
class Call {
  public:
    explicit Call(sd_bus_message* call) : call_(call) {}
    // The caller's uid as the bus daemon vouches for it (not forgeable).
    uid_t senderUid() const;

  private:
    sd_bus_message* call_;
};

// A method call answered later (sdbus::Result's role); copies share it.
class PendingReply {
  public:
    explicit PendingReply(sd_bus_message* call) : call_(sd_bus_message_ref(call)) {}
    PendingReply(const PendingReply& other) : call_(sd_bus_message_ref(other.call_)) {}
    PendingReply& operator=(const PendingReply&) = delete;
    ~PendingReply() { sd_bus_message_unref(call_); }

    // A reply that cannot be sent means the caller or the connection is
    // gone; BusAttachment reports a lost connection, a caller gone needs
    // nothing.
    void returnResults() const { sd_bus_reply_method_return(call_, nullptr); }
    void returnError(const sdbus::Error& error) const;

  private:
    sd_bus_message* call_;
};

// Runs a trampoline's body: what it throws becomes the error reply.
template <typename Body>
int answer(sd_bus_error* error, Body&& body) {
    try {
        return body();
    } catch (const sdbus::Error& e) {
        return sd_bus_error_set(error, e.getName().c_str(), e.getMessage().c_str());
    } catch (const std::exception& e) {
        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, e.what());
    }
}

template <typename T>
struct Signature;
template <>
struct Signature<std::string> {
    static std::string get() { return "s"; }
};
template <>
struct Signature<uint32_t> {
    static std::string get() { return "u"; }
};
template <>
struct Signature<int32_t> {
    static std::string get() { return "i"; }
};
template <>
struct Signature<uint64_t> {
    static std::string get() { return "t"; }
};
template <>
struct Signature<double> {
    static std::string get() { return "d"; }
};
template <>
struct Signature<bool> {
    static std::string get() { return "b"; }
};
template <typename T>
struct Signature<std::vector<T>> {
    static std::string get() { return "a" + Signature<T>::get(); }
};
template <typename... T>
struct Signature<std::tuple<T...>> {
    static std::string get() { return "(" + (Signature<T>::get() + ...) + ")"; }
};

void append(sd_bus_message* m, const std::string& value);
void append(sd_bus_message* m, uint32_t value);
void append(sd_bus_message* m, int32_t value);
void append(sd_bus_message* m, uint64_t value);
void append(sd_bus_message* m, double value);
void append(sd_bus_message* m, bool value);
template <typename T>
void append(sd_bus_message* m, const std::vector<T>& values);
template <typename... T>
void append(sd_bus_message* m, const std::tuple<T...>& value);

template <typename T>
void append(sd_bus_message* m, const std::vector<T>& values) {
    check(sd_bus_message_open_container(m, 'a', Signature<T>::get().c_str()), "open array");
    for (const T& v : values) {
        append(m, v);
    }
    check(sd_bus_message_close_container(m), "close array");
}

template <typename... T>
void append(sd_bus_message* m, const std::tuple<T...>& value) {
    const std::string inner = (Signature<T>::get() + ...);
    check(sd_bus_message_open_container(m, 'r', inner.c_str()), "open struct");
    std::apply([m](const T&... field) { (append(m, field), ...); }, value);
    check(sd_bus_message_close_container(m), "close struct");
}

template <typename T>
void appendVariant(sd_bus_message* m, const T& value) {
    check(sd_bus_message_open_container(m, 'v', Signature<T>::get().c_str()), "open variant");
    append(m, value);
    check(sd_bus_message_close_container(m), "close variant");
}

// A PropertiesChanged signal of `interface` at `path` carrying `names`
// (null-ended), each value appended by `appendValue(m, name)` inside its
// variant; it returns false for a name it does not know. Returns
// sd_bus_send's result; a message that cannot be built throws.
template <typename AppendValue>
int emitPropertiesChanged(sd_bus* bus, const char* path, const char* interface,
                          const char* const* names, AppendValue&& appendValue) {
    sd_bus_message* raw = nullptr;
    check(sd_bus_message_new_signal(bus, &raw, path, "org.freedesktop.DBus.Properties",
                                    "PropertiesChanged"),
          "new PropertiesChanged");
    std::unique_ptr<sd_bus_message, sd_bus_message* (*)(sd_bus_message*)> m(raw,
                                                                            sd_bus_message_unref);
    check(sd_bus_message_append_basic(m.get(), 's', interface), "append the interface");
    check(sd_bus_message_open_container(m.get(), 'a', "{sv}"), "open changed");
    for (; *names; ++names) {
        check(sd_bus_message_open_container(m.get(), 'e', "sv"), "open entry");
        check(sd_bus_message_append_basic(m.get(), 's', *names), "append a name");
        if (!appendValue(m.get(), *names)) {
            throw std::invalid_argument(std::string("no such changing property: ") + *names);
        }
        check(sd_bus_message_close_container(m.get()), "close entry");
    }
    check(sd_bus_message_close_container(m.get()), "close changed");
    check(sd_bus_message_append(m.get(), "as", 0), "append invalidated");
    return sd_bus_send(bus, m.get(), nullptr);
}

void read(sd_bus_message* m, int32_t& value);

// Answers `call` with nothing, or with `value`; > 0: answered.
int replyWith(sd_bus_message* call);
template <typename T>
int replyWith(sd_bus_message* call, const T& value) {
    sd_bus_message* reply = nullptr;
    check(sd_bus_message_new_method_return(call, &reply), "new reply");
    try {
        append(reply, value);
    } catch (...) {
        sd_bus_message_unref(reply);
        throw;
    }
    int r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r < 0 ? r : 1;
}

// A node enumerator's answer: a malloc'ed strv sd-bus frees.
int toStrv(const std::vector<std::string>& paths, char*** out);

// Whether `path` is `prefix` or one of its parents ("/" included).
bool isPathOrParent(const char* path, const char* prefix);

struct FallbackSlots {
    std::string prefix;
    sd_bus* bus = nullptr;
    sd_bus_slot* vtable = nullptr;
    sd_bus_slot* enumerator = nullptr;
};

void addFallback(sd_bus* bus, const char* prefix, const char* interface,
                 const sd_bus_vtable* vtable, sd_bus_object_find_t find,
                 sd_bus_node_enumerator_t enumerate, FallbackSlots& slots);
void removeFallback(FallbackSlots& slots);

template <typename Self>
void attachFallback(sd_bus* bus, const char* prefix, const char* interface,
                    const sd_bus_vtable* vtable, sd_bus_object_find_t find,
                    sd_bus_node_enumerator_t enumerate, Self* me, Self*& self,
                    FallbackSlots& slots) {
    if (self) {
        throw std::logic_error(std::string("a second fallback for ") + interface);
    }
    addFallback(bus, prefix, interface, vtable, find, enumerate, slots);
    self = me;
}

template <typename Self>
void detachFallback(Self* me, Self*& self, FallbackSlots& slots) {
    removeFallback(slots);
    if (self == me) {
        self = nullptr;
    }
}

}  // namespace forever::bus
