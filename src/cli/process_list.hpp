#pragma once
// The process table `list` prints and `monit` redraws, in the columns the
// user chose (foreverctl columns).
#include <string>
#include <vector>

#include "cli/output.hpp"
#include "cli/process_view.hpp"

namespace forever::cli {

// The user's columns (foreverctl columns), and the fields of each process
// they show (Manager.ListColumns names).
std::vector<std::string> listColumns();
std::vector<std::string> fieldsShownBy(const std::vector<std::string>& columns);

std::string renderList(const std::vector<ProcessView>& all, const std::vector<std::string>& columns,
                       const Output& out);
std::string renderList(const std::vector<ProcessView>& all, const Output& out);

}  // namespace forever::cli
