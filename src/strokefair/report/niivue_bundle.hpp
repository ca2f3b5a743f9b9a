// The NiiVue browser bundle that viewer pages embed (fetched by scripts/fetch-web-deps.sh).
#pragma once

#include <string>
#include <string_view>

namespace strokefair {

// The bundle's JavaScript, or empty when the program was built without it (the fetch
// script could not reach the npm registry); viewer pages then say so instead of loading.
std::string_view niivue_bundle();
std::string niivue_version();  // e.g. "0.69.0"; empty without the bundle

}  // namespace strokefair
