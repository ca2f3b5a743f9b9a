// The one test file that includes torch: its headers are heavy, so the tests see only a function.
#include "tiny_network.hpp"

#ifdef STROKEFAIR_HAVE_TORCH
#include <torch/script.h>
#endif

namespace strokefair::test {

bool save_network(const std::filesystem::path& path, const std::string& source) {
#ifdef STROKEFAIR_HAVE_TORCH
  torch::jit::Module module("TinyLesionNetwork");
  module.define(source);
  module.save(path.string());
  return true;
#else
  (void)path;
  (void)source;
  return false;
#endif
}

}  // namespace strokefair::test
