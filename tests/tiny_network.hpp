// Builds small TorchScript networks for the `--model` tests (tests/tiny_network.cpp).
#pragma once

#include <filesystem>
#include <string>

namespace strokefair::test {

// Saves a TorchScript module whose forward pass is `source` (TorchScript, a `def forward`);
// false when the tests were built without libtorch.
bool save_network(const std::filesystem::path& path, const std::string& source);

}  // namespace strokefair::test
