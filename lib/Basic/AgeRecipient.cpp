//===- AgeRecipient.cpp - age public keys ---------------------------------===//

#include "deployc/Basic/AgeRecipient.h"
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

using namespace deployc;

namespace {

constexpr const char *Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

uint32_t polymod(const std::vector<uint8_t> &Values) {
  uint32_t C = 1;
  for (uint8_t V : Values) {
    uint8_t Top = C >> 25;
    C = ((C & 0x1ffffff) << 5) ^ V;
    static const uint32_t Gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    for (int I = 0; I < 5; ++I)
      if ((Top >> I) & 1)
        C ^= Gen[I];
  }
  return C;
}

} // namespace

std::optional<std::array<uint8_t, 32>> deployc::decodeAgeRecipient(std::string_view R) {
  // age writes recipients in lower case; bech32 allows all upper case too.
  std::string S;
  for (char C : R)
    S += char(std::tolower(static_cast<unsigned char>(C)));
  size_t Sep = S.rfind('1');
  if (S.size() > 90 || Sep == std::string::npos || S.substr(0, Sep) != "age" ||
      S.size() - Sep - 1 < 6)
    return std::nullopt;
  std::vector<uint8_t> Values;
  for (char C : S.substr(0, Sep))
    Values.push_back(uint8_t(C) >> 5);
  Values.push_back(0);
  for (char C : S.substr(0, Sep))
    Values.push_back(uint8_t(C) & 31);
  std::vector<uint8_t> Data;
  for (char C : S.substr(Sep + 1)) {
    const char *P = std::strchr(Charset, C);
    if (!P || !C)
      return std::nullopt;
    Data.push_back(uint8_t(P - Charset));
  }
  Values.insert(Values.end(), Data.begin(), Data.end());
  if (polymod(Values) != 1)
    return std::nullopt;
  Data.resize(Data.size() - 6);
  // 5-bit groups to bytes; the padding must be zero.
  std::array<uint8_t, 32> Out;
  size_t N = 0;
  uint32_t Acc = 0;
  int Bits = 0;
  for (uint8_t V : Data) {
    Acc = (Acc << 5) | V;
    Bits += 5;
    if (Bits >= 8) {
      Bits -= 8;
      if (N == Out.size())
        return std::nullopt;
      Out[N++] = uint8_t(Acc >> Bits);
    }
  }
  if (N != Out.size() || Bits >= 5 || (Acc & ((1u << Bits) - 1)))
    return std::nullopt;
  return Out;
}

