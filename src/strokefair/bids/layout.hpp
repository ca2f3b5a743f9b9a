// BIDS names for the series strokefair writes, and the dataset's top-level files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "strokefair/ingest/series.hpp"

namespace strokefair {

// Where a class of series goes. DSC perfusion and CT are not in BIDS 1.11: they get BIDS-like
// names that .bidsignore lists.
struct BidsTarget {
  std::string datatype;  // anat, dwi, perf, ct, func
  std::string suffix;
  bool in_specification = true;
};

// The target of a class, or nothing for classes that are left out (localiser, unknown).
std::optional<BidsTarget> bids_target(SeriesClass kind);

// "sub-X_ses-N[_task-T][_acq-A][_run-R]_<suffix>" in the schema's entity order.
std::string bids_stem(const std::string& subject, int session, const std::string& task,
                      const std::string& acquisition, int run, const std::string& suffix);

// The .bidsignore lines for what bids_target() places outside the specification.
std::string bidsignore_text();

}  // namespace strokefair
