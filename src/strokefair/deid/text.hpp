// Text checks shared by ingest, audit and validate: UTF-8 validity, BOMs, Latin-1 repair.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace strokefair {

bool is_valid_utf8(std::string_view text);

bool starts_with_bom(std::string_view text);

// Reads bytes as UTF-8 where they are valid and as Latin-1 where they are not, so that a
// sidecar with raw Latin-1 bytes can still be parsed (and then filtered).
std::string repair_utf8_as_latin1(std::string_view text);

// Lower-cases ASCII letters only (the identifiers we compare are matched byte-wise).
std::string ascii_lower(std::string_view text);

std::string read_text_file(const std::filesystem::path& path);

}  // namespace strokefair
