// Removal of staging and working folders when the program is interrupted (Ctrl-C, kill).
#pragma once

#include <filesystem>

namespace strokefair {

// Destructors clean up after errors, but not after a signal: without this an interrupted run
// leaves a staging folder of partial outputs (and ingest's working folder, which holds the
// raw, identifying dcm2niix sidecars). A folder registered here is removed, with everything in
// it, when SIGINT, SIGTERM or SIGHUP arrives; the signal then takes its default action, so the
// exit status still says which signal ended the program. SIGKILL cannot be caught.
class InterruptCleanup {
 public:
  explicit InterruptCleanup(const std::filesystem::path& folder);
  ~InterruptCleanup();
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;

 private:
  int slot_;
};

// Installs the signal handlers; the command line calls it once at start-up.
void install_interrupt_cleanup();

}  // namespace strokefair
