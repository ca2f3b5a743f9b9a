// Removal of registered folders from a signal handler.
#include "strokefair/io/interrupt_cleanup.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>

namespace strokefair {

namespace {

// Fixed storage, so the handler neither allocates nor takes a lock. A path too long for a
// slot, or a folder beyond the slots, is simply not removed on a signal.
constexpr int kSlots = 16;
constexpr std::size_t kPathMax = 4096;
std::array<std::array<char, kPathMax>, kSlots> g_paths{};
// 0: free, 1: being filled in, 2: a folder to remove on a signal.
std::array<std::atomic<int>, kSlots> g_state{};

// Depth-first removal with POSIX calls only. The folders are strokefair's own (staging and
// working folders), so symbolic links inside are unlinked, never followed.
void remove_tree(char* path, std::size_t length) {
  DIR* dir = ::opendir(path);
  if (dir) {
    while (const dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (!std::strcmp(name, ".") || !std::strcmp(name, "..")) continue;
      const std::size_t name_length = std::strlen(name);
      if (length + 1 + name_length + 1 > kPathMax) continue;
      path[length] = '/';
      std::memcpy(path + length + 1, name, name_length + 1);
      struct stat info;
      if (::lstat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
        remove_tree(path, length + 1 + name_length);
      } else {
        ::unlink(path);
      }
      path[length] = '\0';
    }
    ::closedir(dir);
  }
  ::rmdir(path);
}

extern "C" void on_interrupt(int signal_number) {
  static char scratch[kPathMax];
  for (int slot = 0; slot < kSlots; ++slot) {
    if (g_state[slot].load() != 2) continue;
    std::memcpy(scratch, g_paths[slot].data(), kPathMax);
    remove_tree(scratch, std::strlen(scratch));
  }
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

}  // namespace

InterruptCleanup::InterruptCleanup(const std::filesystem::path& folder) : slot_(-1) {
  const std::string text = std::filesystem::absolute(folder).string();
  if (text.size() + 1 > kPathMax) return;
  for (int slot = 0; slot < kSlots; ++slot) {
    int expected = 0;
    if (g_state[slot].compare_exchange_strong(expected, 1)) {
      std::memcpy(g_paths[slot].data(), text.c_str(), text.size() + 1);
      g_state[slot].store(2);
      slot_ = slot;
      return;
    }
  }
}

InterruptCleanup::~InterruptCleanup() {
  if (slot_ >= 0) g_state[slot_].store(0);
}

void install_interrupt_cleanup() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  ::sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal_number, &action, nullptr);
}

}  // namespace strokefair
