#include "base/utf8.h"

namespace ipcgrade {

std::size_t decode_utf8(std::string_view in, std::size_t i, std::uint32_t* code) {
  const auto lead = static_cast<unsigned char>(in[i]);
  if (lead < 0x80) {
    *code = lead;
    return 1;
  }
  std::size_t length = 0;
  std::uint32_t min = 0;
  std::uint32_t value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    min = 0x80;
    value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    min = 0x800;
    value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    min = 0x10000;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > in.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(in[i + k]);
    if ((next & 0xC0) != 0x80) {
      return 0;
    }
    value = (value << 6) | (next & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *code = value;
  return length;
}

std::string valid_utf8(std::string_view in) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::uint32_t code;
    std::size_t length = decode_utf8(in, i, &code);
    if (length == 0) {
      out.append(kReplacement);
      ++i;  // resynchronise on the next byte
    } else {
      out.append(in.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace ipcgrade
