// BIDS file naming for ingested series.
#include "strokefair/bids/layout.hpp"

namespace strokefair {

std::optional<BidsTarget> bids_target(SeriesClass kind) {
  switch (kind) {
    case SeriesClass::t1w:
      return BidsTarget{"anat", "T1w"};
    case SeriesClass::t2w:
      return BidsTarget{"anat", "T2w"};
    case SeriesClass::flair:
      return BidsTarget{"anat", "FLAIR"};
    case SeriesClass::dwi:
      return BidsTarget{"dwi", "dwi"};
    case SeriesClass::adc:
      return BidsTarget{"dwi", "ADC"};
    case SeriesClass::trace:
      return BidsTarget{"dwi", "trace"};
    case SeriesClass::bold:
      return BidsTarget{"func", "bold"};
    case SeriesClass::dsc:
      return BidsTarget{"perf", "dsc", false};
    case SeriesClass::ct:
      return BidsTarget{"ct", "ct", false};
    default:
      return std::nullopt;
  }
}

std::string bids_stem(const std::string& subject, int session, const std::string& task,
                      const std::string& acquisition, int run, const std::string& suffix) {
  std::string stem = "sub-" + subject + "_ses-" + std::to_string(session);
  if (!task.empty()) stem += "_task-" + task;
  if (!acquisition.empty()) stem += "_acq-" + acquisition;
  if (run > 0) stem += "_run-" + std::to_string(run);
  return stem + "_" + suffix;
}

std::string bidsignore_text() {
  // _ADC and _trace are BIDS since 1.10.1, but bids-validator 1.x does not know them yet.
  // DSC perfusion and CT have no BIDS names yet.
  return "*_ADC.*\n*_trace.*\n*_dsc.*\n*_ct.*\n";
}

}  // namespace strokefair
