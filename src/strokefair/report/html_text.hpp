// Text made safe for HTML pages (the report and the similar-cases section).
#pragma once

#include <string>

namespace strokefair {

// Escapes &, <, > and " so that text can stand in element content and in attribute values.
std::string html_escape(const std::string& text);

}  // namespace strokefair
