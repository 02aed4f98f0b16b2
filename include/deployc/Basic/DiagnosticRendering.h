//===- DiagnosticRendering.h - Text, JSON and SARIF output --------*- C++ -*-===//
//
// Renderers over a finished list of diagnostics. Output is deterministic: the
// order is the order of emission, and JSON keys are written in a fixed order.
//
//===----------------------------------------------------------------------===//
#ifndef DEPLOYC_BASIC_DIAGNOSTICRENDERING_H
#define DEPLOYC_BASIC_DIAGNOSTICRENDERING_H

#include "deployc/Basic/Diagnostic.h"
#include "llvm/Support/raw_ostream.h"

namespace deployc {

enum class DiagFormat { Text, JSON, SARIF };

/// clang-style: `file:line:col: error[D2001]: message`, the source line, a caret
/// and underline, fix-it text, notes. Colour only when Color is set.
void renderDiagnosticsText(llvm::raw_ostream &OS, const SourceManager &SM,
                           llvm::ArrayRef<Diagnostic> Diags, bool Color);

/// The one-line summary clang prints: "2 errors and 1 warning generated."
void renderDiagnosticSummary(llvm::raw_ostream &OS, unsigned Errors,
                             unsigned Warnings);

void renderDiagnosticsJSON(llvm::raw_ostream &OS, const SourceManager &SM,
                           llvm::ArrayRef<Diagnostic> Diags);

/// SARIF 2.1.0 log with one run; rules are the codes that occur.
void renderDiagnosticsSARIF(llvm::raw_ostream &OS, const SourceManager &SM,
                            llvm::ArrayRef<Diagnostic> Diags,
                            llvm::StringRef ToolVersion);

/// Checks Diags against `expected-error`/`-warning`/`-note` comments in Files
/// (clang's -verify). Prints mismatches to OS; returns true when all match.
bool verifyDiagnostics(llvm::raw_ostream &OS, const SourceManager &SM,
                       llvm::ArrayRef<FileID> Files,
                       llvm::ArrayRef<Diagnostic> Diags);

} // namespace deployc

#endif
