#pragma once
// Text that breaks naive quoting: SQL and array-literal quotes, backslashes, braces and commas,
// the word NULL, whitespace, multi-byte UTF-8, emoji with joiners. Never a NUL byte (libpq
// parameters are C strings; the broker refuses those before they get here).
#include <string>
#include <vector>

namespace ringcast::test {

inline std::vector<std::string> nasty_strings() {
  return {
      "O'Brien said \"hi\"",
      "back\\slash \\\\ double \\\" escaped quote",
      "{braces,commas} and (parens) [brackets]",
      "NULL",
      "",
      " leading and trailing spaces ",
      "tab\tnew\nline\rreturn",
      "'; DROP TABLE messages; --",
      "$1::text $$dollar$$ E'\\x41'",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
      "\xf0\x9f\x8e\x89 \xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7 \xf0\x9f\x87\xb3\xf0\x9f\x87\xb4",
      "percent % underscore _ star *",
  };
}

}  // namespace ringcast::test
