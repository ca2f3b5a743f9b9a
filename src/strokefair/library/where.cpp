// A recursive-descent parser for --where expressions, producing parameterised SQL.
#include "strokefair/library/where.hpp"

#include <cctype>
#include <cstdlib>

#include "strokefair/core/error.hpp"

namespace strokefair {

namespace {

enum class TokenKind { word, number, text, op, open, close, end };

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;
  std::size_t position = 0;
};

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const auto fail = [&](const std::string& what) {
    throw Error("--where: " + what + " at character " + std::to_string(i + 1) + " of \"" + s + "\"",
                ExitCode::usage);
  };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    if (c == '(' || c == ')') {
      tokens.push_back({c == '(' ? TokenKind::open : TokenKind::close, std::string(1, c), start});
      ++i;
    } else if (c == '\'' || c == '"') {
      const std::size_t close = s.find(c, i + 1);
      if (close == std::string::npos) fail("unterminated quoted text");
      tokens.push_back({TokenKind::text, s.substr(i + 1, close - i - 1), start});
      i = close + 1;
    } else if (c == '<' || c == '>' || c == '=' || c == '!') {
      std::string op(1, c);
      if (i + 1 < s.size() && s[i + 1] == '=') op += '=';
      if (op == "!") fail("'!' must be followed by '='");
      tokens.push_back({TokenKind::op, op, start});
      i += op.size();
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      char* end = nullptr;
      std::strtod(s.c_str() + i, &end);
      if (end == s.c_str() + i) fail("a number was expected");
      tokens.push_back({TokenKind::number, s.substr(i, end - (s.c_str() + i)), start});
      i = end - s.c_str();
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() &&
             (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_' || s[i] == '-'))
        ++i;
      tokens.push_back({TokenKind::word, s.substr(start, i - start), start});
    } else {
      fail(std::string("unexpected '") + c + "'");
    }
  }
  tokens.push_back({TokenKind::end, "", s.size()});
  return tokens;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class Parser {
 public:
  Parser(const std::string& expression) : expression_(expression), tokens_(tokenize(expression)) {}

  SqlCondition parse() {
    SqlCondition condition;
    condition.sql = parse_or(condition.parameters);
    if (peek().kind != TokenKind::end) fail("unexpected '" + peek().text + "'");
    return condition;
  }

 private:
  const Token& peek() const { return tokens_[at_]; }
  Token next() { return tokens_[at_++]; }
  bool keyword(const char* word) const {
    return peek().kind == TokenKind::word && lower(peek().text) == word;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("--where: " + what + " at character " + std::to_string(peek().position + 1) +
                    " of \"" + expression_ + "\"",
                ExitCode::usage);
  }

  std::string parse_or(std::vector<nlohmann::json>& parameters) {
    std::string sql = parse_and(parameters);
    while (keyword("or")) {
      next();
      sql = "(" + sql + " OR " + parse_and(parameters) + ")";
    }
    return sql;
  }

  std::string parse_and(std::vector<nlohmann::json>& parameters) {
    std::string sql = parse_not(parameters);
    while (keyword("and")) {
      next();
      sql = "(" + sql + " AND " + parse_not(parameters) + ")";
    }
    return sql;
  }

  std::string parse_not(std::vector<nlohmann::json>& parameters) {
    if (keyword("not")) {
      next();
      return "(NOT " + parse_not(parameters) + ")";
    }
    if (peek().kind == TokenKind::open) {
      next();
      std::string sql = parse_or(parameters);
      if (peek().kind != TokenKind::close) fail("')' expected");
      next();
      return sql;
    }
    return parse_comparison(parameters);
  }

  std::string parse_comparison(std::vector<nlohmann::json>& parameters) {
    if (peek().kind != TokenKind::word) fail("a field name was expected");
    const std::string field = next().text;
    if (peek().kind != TokenKind::op) fail("a comparison (=, !=, <, <=, >, >=) was expected");
    std::string op = next().text;
    if (op == "==") op = "=";

    const Token value = next();
    if (value.kind == TokenKind::number) {
      parameters.emplace_back(std::strtod(value.text.c_str(), nullptr));
    } else if (value.kind == TokenKind::text || value.kind == TokenKind::word) {
      parameters.emplace_back(value.text);
    } else {
      --at_;
      fail("a value was expected");
    }

    // Column names cannot be bound, so only these fixed ones are spelled into the SQL; every
    // other field is a bound JSON path into the clinical record.
    std::string left;
    if (field == "lesion_volume_ml" || field == "side" || field == "id") {
      left = field;
    } else {
      left = "json_extract(clinical, ?)";
      parameters.insert(parameters.end() - 1, nlohmann::json("$.\"" + field + "\""));
    }
    return "(" + left + " " + op + " ?)";
  }

  std::string expression_;
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

}  // namespace

SqlCondition parse_where(const std::string& expression) { return Parser(expression).parse(); }

}  // namespace strokefair
