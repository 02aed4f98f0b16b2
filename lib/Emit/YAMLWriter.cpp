//===- YAMLWriter.cpp - Ordered JSON documents to YAML --------------------===//

#include "YAMLWriter.h"
#include <regex>
#include <yaml-cpp/yaml.h>

using namespace deployc;
using namespace deployc::emit;

namespace {

/// True when a plain scalar with this text would not read back as a string.
bool needsQuotes(const std::string &S) {
  if (S.empty())
    return true;
  static const std::regex NonString(
      R"(^(true|false|yes|no|on|off|y|n|null|~|True|False|TRUE|FALSE|Yes|No|YES|NO|On|Off|ON|OFF|Null|NULL|Y|N)$|^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^0x[0-9a-fA-F]+$|^0o?[0-7]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$|^[0-9]+(:[0-5]?[0-9])+$)");
  if (std::regex_match(S, NonString))
    return true;
  // Leading indicators and embedded `: ` / ` #` change the meaning of a plain scalar.
  static const std::string Indicators = ",[]{}#&*!|>'\"%@`";
  if (Indicators.find(S.front()) != std::string::npos || S.front() == ' ' ||
      S.back() == ' ' || S.back() == ':')
    return true;
  // `-`, `?` and `:` start a block only when a space follows.
  if ((S.front() == '-' || S.front() == '?' || S.front() == ':') &&
      (S.size() == 1 || S[1] == ' '))
    return true;
  return S.find(": ") != std::string::npos || S.find(" #") != std::string::npos ||
         S.find('\t') != std::string::npos;
}

void writeNode(YAML::Emitter &E, const json &J) {
  switch (J.type()) {
  case json::value_t::object:
    if (J.empty()) {
      E << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    E << YAML::BeginMap;
    for (auto It = J.begin(); It != J.end(); ++It) {
      E << YAML::Key;
      if (needsQuotes(It.key()))
        E << YAML::DoubleQuoted;
      E << It.key() << YAML::Value;
      writeNode(E, It.value());
    }
    E << YAML::EndMap;
    return;
  case json::value_t::array:
    if (J.empty()) {
      E << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    E << YAML::BeginSeq;
    for (const json &V : J)
      writeNode(E, V);
    E << YAML::EndSeq;
    return;
  case json::value_t::string: {
    const std::string &S = J.get_ref<const std::string &>();
    if (S.find('\n') != std::string::npos)
      E << YAML::Literal << S;
    else if (needsQuotes(S))
      E << YAML::DoubleQuoted << S;
    else
      E << S;
    return;
  }
  case json::value_t::boolean:
    E << (J.get<bool>() ? "true" : "false");
    return;
  case json::value_t::number_integer:
    E << J.get<int64_t>();
    return;
  case json::value_t::number_unsigned:
    E << J.get<uint64_t>();
    return;
  case json::value_t::number_float:
    E << J.get<double>();
    return;
  default:
    E << YAML::Null;
    return;
  }
}

} // namespace

std::string emit::toYAML(const json &Doc) {
  YAML::Emitter E;
  E.SetIndent(2);
  E.SetSeqFormat(YAML::Block);
  E.SetMapFormat(YAML::Block);
  writeNode(E, Doc);
  std::string Out = E.c_str();
  if (Out.empty() || Out.back() != '\n')
    Out += '\n';
  return Out;
}

std::string emit::toYAMLStream(const std::vector<json> &Docs) {
  std::string Out;
  for (const json &D : Docs) {
    Out += "---\n";
    Out += toYAML(D);
  }
  return Out;
}

std::string emit::toJSONText(const json &Doc) {
  return Doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}
