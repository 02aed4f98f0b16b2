//===- YAMLWriterTest.cpp - The YAML writer against yaml-cpp --------------===//
//
// The writer replaced yaml-cpp's emitter for speed. yaml-cpp stays the oracle:
// random documents must read back (with yaml-cpp's parser) as what was
// written, and, where yaml-cpp's emitter is right, come out byte for byte as
// it wrote them.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Emit/YAMLWriter.h"
#include <gtest/gtest.h>
#include <random>
#include <yaml-cpp/yaml.h>

using namespace deployc::emit;

namespace {

/// What yaml-cpp's emitter wrote for a document (the old writer).
void writeWithYAMLCpp(YAML::Emitter &E, const json &J) {
  switch (J.type()) {
  case json::value_t::object:
    if (J.empty()) {
      E << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    E << YAML::BeginMap;
    for (auto It = J.begin(); It != J.end(); ++It) {
      E << YAML::Key << It.key() << YAML::Value;
      writeWithYAMLCpp(E, It.value());
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
      writeWithYAMLCpp(E, V);
    E << YAML::EndSeq;
    return;
  case json::value_t::string:
    E << YAML::DoubleQuoted << J.get<std::string>();
    return;
  case json::value_t::boolean:
    E << (J.get<bool>() ? "true" : "false");
    return;
  default:
    E << J.get<int64_t>();
    return;
  }
}

/// A YAML node as JSON (strings stay strings: the writer quotes whatever
/// would read as something else).
json fromYAML(const YAML::Node &N, const json &Like) {
  if (Like.is_object()) {
    json Out = json::object();
    for (auto It = Like.begin(); It != Like.end(); ++It)
      Out[It.key()] = N[It.key()] ? fromYAML(N[It.key()], It.value()) : json("<missing>");
    return N.size() == Like.size() ? Out : json("<size mismatch>");
  }
  if (Like.is_array()) {
    json Out = json::array();
    for (size_t I = 0; I < Like.size(); ++I)
      Out.push_back(fromYAML(N[I], Like[I]));
    return Out;
  }
  if (Like.is_boolean())
    return N.as<bool>();
  if (Like.is_number_integer())
    return N.as<int64_t>();
  return N.as<std::string>();
}

std::string randomString(std::mt19937 &R) {
  static const std::vector<std::string> Pieces = {
      "a", "Z", "0", "7", "-", ":", " ", "#", "'", "\"", "\\", "{", "}", "[", "]", ",", "&",
      "*", "!", "|", ">", "%", "@", "`", "?", ".", "_", "/", "\n", "\t", "true", "null", "no",
      "0x1F", "1e3", ".inf", "12:30", "~", "é", "日本", "\xc2\x85", "\xef\xbb\xbf", "=", "$"};
  std::string S;
  int N = std::uniform_int_distribution<int>(0, 6)(R);
  for (int I = 0; I < N; ++I)
    S += Pieces[std::uniform_int_distribution<size_t>(0, Pieces.size() - 1)(R)];
  return S;
}

json randomDoc(std::mt19937 &R, int Depth) {
  int K = std::uniform_int_distribution<int>(0, Depth > 3 ? 3 : 5)(R);
  switch (K) {
  case 0: return randomString(R);
  case 1: return std::uniform_int_distribution<int64_t>(-1000000, 1000000)(R);
  case 2: return bool(R() & 1);
  case 3: return randomString(R) + "x";
  case 4: {
    json O = json::object();
    int N = std::uniform_int_distribution<int>(0, 4)(R);
    for (int I = 0; I < N; ++I)
      O[randomString(R) + std::to_string(I)] = randomDoc(R, Depth + 1);
    return O;
  }
  default: {
    json A = json::array();
    int N = std::uniform_int_distribution<int>(0, 4)(R);
    for (int I = 0; I < N; ++I)
      A.push_back(randomDoc(R, Depth + 1));
    return A;
  }
  }
}

TEST(YAMLWriterTest, RandomDocumentsReadBackAsWritten) {
  std::mt19937 R(42);
  for (int I = 0; I < 3000; ++I) {
    json Doc = json::object();
    Doc["doc"] = randomDoc(R, 0);
    std::string Text = toYAML(Doc);
    YAML::Node N;
    ASSERT_NO_THROW(N = YAML::Load(Text)) << Text;
    EXPECT_EQ(fromYAML(N, Doc), Doc) << Text;
  }
}

TEST(YAMLWriterTest, LayoutIsYAMLCppBlockStyle) {
  json Doc = json::parse(R"({
    "apiVersion": "apps/v1",
    "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "api"}},
    "spec": {"containers": [{"name": "api", "ports": [{"containerPort": 8080}],
                             "args": ["--a", "--b"], "env": []}],
             "empty": {}, "nested": [[1, 2], {"k": [3]}]}})");
  YAML::Emitter E;
  E.SetIndent(2);
  E.SetSeqFormat(YAML::Block);
  E.SetMapFormat(YAML::Block);
  writeWithYAMLCpp(E, Doc);
  std::string Theirs = std::string(E.c_str()) + "\n";
  // yaml-cpp quoted every string here; the writer quotes only when needed.
  std::string Ours = toYAML(Doc);
  EXPECT_EQ(YAML::Dump(YAML::Load(Ours)), YAML::Dump(YAML::Load(Theirs)));
  EXPECT_EQ(Ours, "apiVersion: apps/v1\n"
                  "metadata:\n"
                  "  name: api\n"
                  "  labels:\n"
                  "    app.kubernetes.io/name: api\n"
                  "spec:\n"
                  "  containers:\n"
                  "    - name: api\n"
                  "      ports:\n"
                  "        - containerPort: 8080\n"
                  "      args:\n"
                  "        - --a\n"
                  "        - --b\n"
                  "      env: []\n"
                  "  empty: {}\n"
                  "  nested:\n"
                  "    - - 1\n"
                  "      - 2\n"
                  "    - k:\n"
                  "        - 3\n");
}

TEST(YAMLWriterTest, QuotesWhatWouldReadAsSomethingElse) {
  json Doc = json::object();
  for (const char *S : {"true", "no", "null", "~", "Yes", "OFF", "Null", "Y", "n", "8080", "1.5", "0x1F", "0o17", "1e3", ".inf",
                        "12:30", "", " lead", "trail ", "a: b", "a #b", "-", "- x", "*ref", "@x"})
    Doc[S] = S;
  std::string Text = toYAML(Doc);
  YAML::Node N = YAML::Load(Text);
  for (auto It = Doc.begin(); It != Doc.end(); ++It) {
    EXPECT_EQ(N[It.key()].as<std::string>(), It.key()) << Text;
    EXPECT_EQ(N[It.key()].Tag(), "!") << It.key() << " must be quoted:\n" << Text;
  }
  EXPECT_EQ(toYAML(json{{"k", "plain text/with:colons-and dashes"}}),
            "k: plain text/with:colons-and dashes\n");
  // YAML 1.1 gives each word three spellings; others are plain strings.
  EXPECT_EQ(toYAML(json{{"k", "yES"}, {"m", "nulls"}, {"o", "Onn"}}), "k: yES\nm: nulls\no: Onn\n");
}

TEST(YAMLWriterTest, MultiLineStringsKeepTheirLineBreaks) {
  for (const char *S : {"a\nb\n", "a\nb", "a\n\nb\n\n", "\n", " indented\nx\n", "tab\there\n"}) {
    json Doc{{"key", S}, {"list", {S}}};
    std::string Text = toYAML(Doc);
    YAML::Node N = YAML::Load(Text);
    EXPECT_EQ(N["key"].as<std::string>(), S) << Text;
    EXPECT_EQ(N["list"][0].as<std::string>(), S) << Text;
  }
  EXPECT_EQ(toYAML(json{{"config", "a: 1\nb: 2\n"}}), "config: |\n  a: 1\n  b: 2\n");
}

} // namespace
