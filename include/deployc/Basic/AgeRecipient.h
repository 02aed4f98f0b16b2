//===- AgeRecipient.h - age public keys ---------------------------*- C++ -*-===//
//
// An age X25519 recipient is `age1` followed by the bech32 encoding of a
// 32-byte public key. Decoded here for the check of `age_recipients` and for
// the encryption itself (Interp/Age.h).
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_AGERECIPIENT_H
#define DEPLOYC_BASIC_AGERECIPIENT_H

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace deployc {

/// The public key of Recipient, or nothing when it is not an age X25519
/// recipient (a bad checksum, another prefix, another length).
std::optional<std::array<uint8_t, 32>> decodeAgeRecipient(std::string_view Recipient);

} // namespace deployc

#endif
