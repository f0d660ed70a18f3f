#pragma once
// The process table `list` prints and `monit` redraws, in the columns the
// user chose (foreverctl columns).
#include <string>
#include <vector>

#include "cli/output.hpp"
#include "cli/process_view.hpp"

namespace forever::cli {

std::string renderList(const std::vector<ProcessView>& all, const Output& out);

}  // namespace forever::cli
