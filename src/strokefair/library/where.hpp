// The `--where` filter of library commands: a small expression language over clinical fields,
// translated into a parameterised SQL condition (values are bound, never pasted into SQL).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

// Grammar (case-insensitive keywords):
//   expression := conjunction ("or" conjunction)*
//   conjunction := negation ("and" negation)*
//   negation   := "not" negation | "(" expression ")" | comparison
//   comparison := field operator value
//   field      := letters, digits and _ (a clinical column, or lesion_volume_ml / side)
//   operator   := = == != < <= > >=
//   value      := number | 'text' | "text" | bare word (e.g. M, left)
// Example: nihss >= 10 and (sex = F or age > 80)
struct SqlCondition {
  std::string sql;                         // e.g. "(json_extract(clinical, ?) >= ?)"
  std::vector<nlohmann::json> parameters;  // bound in order: strings and numbers
};

// Throws Error(usage) with the position of the problem for an expression it cannot parse.
SqlCondition parse_where(const std::string& expression);

}  // namespace strokefair
