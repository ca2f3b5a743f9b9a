// Lesion frequency maps over library cases: per voxel of the library grid, how many cases are
// lesioned there and which proportion of the cases that is; with a PNG montage for viewing.
#pragma once

#include <filesystem>
#include <optional>

#include "strokefair/library/store.hpp"

namespace strokefair {

struct FrequencyMaps {
  Image count;       // cases lesioned per voxel
  Image proportion;  // count / number of cases
  std::size_t cases = 0;
};

// `cases` must carry their lesion runs (Library::cases(..., true)).
FrequencyMaps frequency_maps(const std::vector<StoredCase>& cases, const Geometry& library_grid);

// Axial slices from 40 mm below to 70 mm above the AC plane, every 6 mm, in neurological
// convention (patient's left on the image's left, anterior at the top): the proportion in a
// hot colour scale over a grey `background` (on the same grid), where the count is at least 1.
void write_montage_png(const FrequencyMaps& maps, const std::optional<Image>& background,
                       const std::filesystem::path& path);

}  // namespace strokefair
