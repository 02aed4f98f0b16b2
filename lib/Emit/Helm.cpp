//===- Helm.cpp - Helm charts from emitted manifests ----------------------===//

#include "deployc/Emit/Helm.h"
#include "YAMLWriter.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

using namespace deployc;
using namespace deployc::emit;

std::string emit::helmMarker(unsigned Index, unsigned Variant) {
  return "zdeploychelm" + std::to_string(Variant) + "v" + std::to_string(Index) + "z";
}

namespace {

/// `{{` and `}}` as Helm prints them literally.
std::string escapeBraces(llvm::StringRef Text) {
  std::string Out;
  Out.reserve(Text.size());
  for (size_t I = 0; I < Text.size(); ++I) {
    if (I + 1 < Text.size() && Text[I] == '{' && Text[I + 1] == '{') {
      Out += "{{ \"{{\" }}";
      ++I;
    } else if (I + 1 < Text.size() && Text[I] == '}' && Text[I + 1] == '}') {
      Out += "{{ \"}}\" }}";
      ++I;
    } else {
      Out += Text[I];
    }
  }
  return Out;
}

/// Text as a Go string literal in a template action.
std::string goString(llvm::StringRef Text) {
  std::string Out = "\"";
  for (char C : Text) {
    if (C == '"' || C == '\\')
      Out += '\\';
    if (C == '\n') {
      Out += "\\n";
      continue;
    }
    Out += C;
  }
  return Out + "\"";
}

/// The plain text of a YAML scalar as our writer prints it: plain, or
/// double-quoted (its escapes undone); nothing for other forms.
std::optional<std::string> scalarText(llvm::StringRef S) {
  if (S.empty())
    return std::string();
  if (S.front() == '\'' || S.front() == '|' || S.front() == '>' || S.front() == '{' ||
      S.front() == '[')
    return std::nullopt;
  if (S.front() != '"')
    return S.str();
  if (S.size() < 2 || S.back() != '"')
    return std::nullopt;
  std::string Out;
  for (size_t I = 1; I + 1 < S.size(); ++I) {
    if (S[I] != '\\') {
      Out += S[I];
      continue;
    }
    if (++I + 1 >= S.size())
      return std::nullopt;
    switch (S[I]) {
    case 'n': Out += '\n'; break;
    case 't': Out += '\t'; break;
    case '"': Out += '"'; break;
    case '\\': Out += '\\'; break;
    case '/': Out += '/'; break;
    default: return std::nullopt;
    }
  }
  return Out;
}

struct Found {
  size_t Pos;
  const HelmValue *V;
};

/// The markers in Text, in order.
std::vector<Found> findMarkers(llvm::StringRef Text, const std::vector<HelmValue> &Values) {
  std::vector<Found> Out;
  for (size_t I = 0; I < Text.size();) {
    const HelmValue *Hit = nullptr;
    for (const HelmValue &V : Values)
      if (Text.substr(I).startswith(V.Marker)) {
        Hit = &V;
        break;
      }
    if (Hit) {
      Out.push_back({I, Hit});
      I += Hit->Marker.size();
    } else {
      ++I;
    }
  }
  return Out;
}

/// A scalar holding markers as one quoted Helm expression: `printf` over
/// the text around them, with the values in their places.
std::string quotedExpression(llvm::StringRef Text, const std::vector<HelmValue> &Values) {
  std::string Format, Args;
  size_t Last = 0;
  for (const Found &F : findMarkers(Text, Values)) {
    for (char C : Text.slice(Last, F.Pos)) {
      if (C == '%')
        Format += '%';
      Format += C;
    }
    Format += "%s";
    Args += " (toString .Values." + F.V->Name + ")";
    Last = F.Pos + F.V->Marker.size();
  }
  for (char C : Text.substr(Last)) {
    if (C == '%')
      Format += '%';
    Format += C;
  }
  // A scalar that is the value alone reads better without printf.
  std::vector<Found> Markers = findMarkers(Text, Values);
  if (Markers.size() == 1 && Markers[0].Pos == 0 && Text.size() == Markers[0].V->Marker.size())
    return "{{ .Values." + Markers[0].V->Name + " | toString | quote }}";
  return "{{ printf " + goString(Format) + Args + " | quote }}";
}

size_t indentOf(llvm::StringRef Line) { return Line.size() - Line.ltrim(' ').size(); }

} // namespace

std::optional<std::string> emit::helmTemplate(const std::string &Manifests,
                                              const std::vector<HelmValue> &Values) {
  std::string Out;
  llvm::SmallVector<llvm::StringRef, 0> Lines;
  llvm::StringRef(Manifests).split(Lines, '\n');
  // Inside a block scalar (`key: |`), lines more indented than its key are
  // text: values go in as they are.
  std::optional<size_t> BlockIndent;
  for (size_t N = 0; N != Lines.size(); ++N) {
    llvm::StringRef Line = Lines[N];
    if (N)
      Out += '\n';
    if (BlockIndent && (Line.trim().empty() || indentOf(Line) > *BlockIndent)) {
      std::string Escaped = escapeBraces(Line);
      for (const Found &F : llvm::reverse(findMarkers(Escaped, Values)))
        Escaped.replace(F.Pos, F.V->Marker.size(), "{{ .Values." + F.V->Name + " }}");
      Out += Escaped;
      continue;
    }
    BlockIndent.reset();
    llvm::StringRef Body = Line.ltrim(' ');
    size_t Indent = indentOf(Line);
    llvm::StringRef Prefix = Line.take_front(Indent);
    std::string Lead = Prefix.str();
    while (Body.consume_front("- "))
      Lead += "- ";
    // `key: value`, or a list item's value.
    llvm::StringRef Key, Value = Body;
    size_t Colon = Body.find(": ");
    bool Quoted = Body.startswith("\"");
    if (!Quoted && Colon != llvm::StringRef::npos) {
      Key = Body.take_front(Colon + 2);
      Value = Body.drop_front(Colon + 2);
    } else if (!Quoted && Body.endswith(":")) {
      Key = Body;
      Value = "";
    }
    if (Value == "|" || Value == "|-" || Value == "|+" || Value == ">" || Value == ">-")
      BlockIndent = Indent;
    if (findMarkers(Key, Values).size())
      return std::nullopt;
    if (findMarkers(Value, Values).empty()) {
      Out += escapeBraces(Line);
      continue;
    }
    std::optional<std::string> Text = scalarText(Value);
    if (!Text)
      return std::nullopt;
    Out += escapeBraces(Lead + Key.str());
    // The braces of the text around the markers are printed by printf.
    Out += quotedExpression(*Text, Values);
  }
  return Out;
}

std::string emit::helmChartFile(const std::string &Name, const std::string &Description) {
  json Chart{{"apiVersion", "v2"},
             {"name", Name},
             {"description", Description},
             {"type", "application"},
             {"version", "0.1.0"}};
  return toYAML(Chart);
}

std::string emit::helmValuesFile(const std::vector<HelmValue> &Values,
                                 const std::vector<std::pair<std::string, std::string>> &Fixed) {
  std::string Out = "# The spec's string parameters, with the values this chart was emitted with.\n";
  for (const auto &[Name, Why] : Fixed)
    Out += "# `" + Name + "` is not a value: " + Why + "; emit again with --set.\n";
  json Doc = json::object();
  for (const HelmValue &V : Values)
    Doc[V.Name] = V.Default;
  if (!Values.empty())
    Out += toYAML(Doc);
  return Out;
}
