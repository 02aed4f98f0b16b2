//===- YAMLWriter.h - Ordered JSON documents to YAML --------------*- C++ -*-===//
//
// Back ends build documents as ordered nlohmann JSON (keys in the order a
// platform engineer writes them), allocated from a DocumentArena when one is
// active, and this writer turns them into block-style
// YAML in yaml-cpp's block style. Strings that YAML would read as something else (numbers,
// booleans, null, `a: b`) are quoted; multi-line strings use literal blocks.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_LIB_EMIT_YAMLWRITER_H
#define DEPLOYC_LIB_EMIT_YAMLWRITER_H

#include "DocumentArena.h"
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace deployc::emit {

using json = nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool,
                                  std::int64_t, std::uint64_t, double, DocumentAllocator>;

/// One YAML document (no leading `---`), ending in a newline.
std::string toYAML(const json &Doc);

/// Documents joined with `---` lines.
std::string toYAMLStream(const std::vector<json> &Docs);

/// Pretty JSON with two-space indentation and a final newline.
std::string toJSONText(const json &Doc);

} // namespace deployc::emit

#endif
