// Access to the NiiVue bundle that CMake embeds when build/web/niivue.umd.js exists.
#include "strokefair/report/niivue_bundle.hpp"

#ifdef STROKEFAIR_HAVE_NIIVUE
extern "C" const char strokefair_niivue_begin[];
extern "C" const char strokefair_niivue_end[];
extern "C" const char* strokefair_niivue_version();
#endif

namespace strokefair {

std::string_view niivue_bundle() {
#ifdef STROKEFAIR_HAVE_NIIVUE
  return {strokefair_niivue_begin,
          static_cast<std::size_t>(strokefair_niivue_end - strokefair_niivue_begin)};
#else
  return {};
#endif
}

std::string niivue_version() {
#ifdef STROKEFAIR_HAVE_NIIVUE
  return strokefair_niivue_version();
#else
  return {};
#endif
}

}  // namespace strokefair
