// UTF-8 decoding, strict: the one decoder the report writers share. Student
// programs print arbitrary bytes; the JSON writer replaces ill-formed
// sequences and the terminal writer escapes them, both from this judgement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipcgrade {

// The length of the well-formed UTF-8 sequence at in[i] and its code point,
// or 0 when in[i] does not start one (overlong forms, surrogates and code
// points above U+10FFFF included). Requires i < in.size().
std::size_t decode_utf8(std::string_view in, std::size_t i, std::uint32_t* code);

// `in` with every ill-formed sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view in);

}  // namespace ipcgrade
