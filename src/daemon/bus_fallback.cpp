#include "daemon/bus_fallback.hpp"

#include <cstdlib>
#include <cstring>
#include <system_error>

#include "daemon/dbus_errors.hpp"

namespace forever::bus {

namespace {

struct MessageHandle : sdbus::Message {
    static sd_bus_message* of(const sdbus::Message& message) {
        return static_cast<sd_bus_message*>(message.*(&MessageHandle::msg_));
    }
};

}  // namespace

void check(int r, const char* what) {
    if (r < 0) {
        throw std::system_error(-r, std::generic_category(), what);
    }
}

sd_bus_message* rawMessage(const sdbus::Message& message) {
    return MessageHandle::of(message);
}

sd_bus* busOf(const sdbus::Message& message) {
    sd_bus_message* m = MessageHandle::of(message);
    sd_bus* bus = m ? sd_bus_message_get_bus(m) : nullptr;
    if (!bus) {
        throw std::logic_error("an sdbus-c++ message without a bus");
    }
    return bus;
}

uid_t Call::senderUid() const {
    sd_bus_creds* creds = nullptr;
    // The bus daemon's UnixUserID (GetConnectionCredentials), which sd-bus
    // gives as the effective uid; SD_BUS_CREDS_AUGMENT off: never one read
    // from /proc, where the sender's pid may be someone else's by now.
    int r = sd_bus_query_sender_creds(call_, SD_BUS_CREDS_EUID, &creds);
    uid_t uid = 0;
    if (r >= 0) {
        r = sd_bus_creds_get_euid(creds, &uid);
    }
    sd_bus_creds_unref(creds);
    if (r < 0) {
        throw sdbus::Error(dbus_errors::kAccessDenied, "cannot identify the caller");
    }
    return uid;
}

void PendingReply::returnError(const sdbus::Error& error) const {
    sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(error.getName().c_str(), error.getMessage().c_str());
    sd_bus_reply_method_error(call_, &e);
}

void append(sd_bus_message* m, const std::string& value) {
    check(sd_bus_message_append_basic(m, 's', value.c_str()), "append a string");
}
void append(sd_bus_message* m, uint32_t value) {
    check(sd_bus_message_append_basic(m, 'u', &value), "append a uint32");
}
void append(sd_bus_message* m, int32_t value) {
    check(sd_bus_message_append_basic(m, 'i', &value), "append an int32");
}
void append(sd_bus_message* m, uint64_t value) {
    check(sd_bus_message_append_basic(m, 't', &value), "append a uint64");
}
void append(sd_bus_message* m, double value) {
    check(sd_bus_message_append_basic(m, 'd', &value), "append a double");
}
void append(sd_bus_message* m, bool value) {
    int b = value ? 1 : 0;
    check(sd_bus_message_append_basic(m, 'b', &b), "append a boolean");
}

void read(sd_bus_message* m, int32_t& value) {
    if (sd_bus_message_read_basic(m, 'i', &value) <= 0) {
        throw sdbus::Error(SD_BUS_ERROR_INVALID_ARGS, "an int32 argument expected");
    }
}

int replyWith(sd_bus_message* call) {
    int r = sd_bus_reply_method_return(call, nullptr);
    return r < 0 ? r : 1;
}

int toStrv(const std::vector<std::string>& paths, char*** out) {
    char** strv = static_cast<char**>(std::calloc(paths.size() + 1, sizeof(char*)));
    if (!strv) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < paths.size(); ++i) {
        strv[i] = strdup(paths[i].c_str());
        if (!strv[i]) {
            for (size_t j = 0; j < i; ++j) {
                std::free(strv[j]);
            }
            std::free(strv);
            return -ENOMEM;
        }
    }
    *out = strv;
    return 1;
}

bool isPathOrParent(const char* path, const char* prefix) {
    const size_t n = std::strlen(path);
    if (std::strcmp(path, "/") == 0) {
        return true;
    }
    return std::strncmp(path, prefix, n) == 0 && (prefix[n] == '\0' || prefix[n] == '/');
}

void addFallback(sd_bus* bus, const char* prefix, const char* interface,
                 const sd_bus_vtable* vtable, sd_bus_object_find_t find,
                 sd_bus_node_enumerator_t enumerate, FallbackSlots& slots) {
    check(sd_bus_add_fallback_vtable(bus, &slots.vtable, prefix, interface, vtable, find, nullptr),
          "sd_bus_add_fallback_vtable");
    int r = sd_bus_add_node_enumerator(bus, &slots.enumerator, prefix, enumerate, nullptr);
    if (r < 0) {
        slots.vtable = sd_bus_slot_unref(slots.vtable);
        check(r, "sd_bus_add_node_enumerator");
    }
    slots.bus = sd_bus_ref(bus);
    slots.prefix = prefix;
}

void removeFallback(FallbackSlots& slots) {
    slots.enumerator = sd_bus_slot_unref(slots.enumerator);
    slots.vtable = sd_bus_slot_unref(slots.vtable);
    slots.bus = sd_bus_unref(slots.bus);
}

}  // namespace forever::bus
