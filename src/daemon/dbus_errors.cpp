#include "daemon/dbus_errors.hpp"

#include <new>

#include "core/process_spec.hpp"
#include "core/supervisor.hpp"

namespace forever::dbus_errors {

sdbus::Error toDbusError(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const sdbus::Error& e) {
        return e;
    } catch (const SupervisorError& e) {
        switch (e.code()) {
            case SupervisorError::Code::NotFound:
                return sdbus::Error(kNotFound, e.what());
            case SupervisorError::Code::InvalidArgument:
                return sdbus::Error(kInvalidArgument, e.what());
            case SupervisorError::Code::AlreadyExists:
                return sdbus::Error(kAlreadyExists, e.what());
            case SupervisorError::Code::SpawnFailed:
                return sdbus::Error(kSpawnFailed, e.what());
            case SupervisorError::Code::Busy:
                return sdbus::Error(kBusy, e.what());
        }
        return sdbus::Error(kFailed, e.what());
    } catch (const SpecError& e) {
        return sdbus::Error(kInvalidArgument, e.what());
    } catch (const std::bad_alloc&) {
        return sdbus::Error(kFailed, "out of memory");
    } catch (const std::exception& e) {
        return sdbus::Error(kFailed, e.what());
    } catch (...) {
        return sdbus::Error(kFailed, "unknown error");
    }
}

}  // namespace forever::dbus_errors
