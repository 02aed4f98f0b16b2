// Syntax of the .deploy language (docs/language.md). The grammar is deliberately
// generic: a declaration is `kind name [: type] { entries }` and an entry is one of
// four shapes. Which kinds, fields and value types exist is the business of Sema's
// schema, so that misspellings get "did you mean" instead of a syntax error, and the
// grammar stays SLL-friendly (two-stage SLL->LL parsing, see lib/Parse/Parser.cpp).
parser grammar DeployParser;

options { tokenVocab = DeployLexer; }

file : importDecl* decl* EOF ;

// Entry point for `${...}` interpolations and `--set` values.
exprOnly : expr EOF ;

importDecl
  : IMPORT path=STRING                                                  # importFile
  | IMPORT ident (DOT ident)* (DOT STAR | DOT LBRACE importNames RBRACE)?  # importModule
  ;

importNames : ident (COMMA ident)* COMMA? ;

decl
  : PARAM name=ident (COLON typeExpr)? (ASSIGN expr)?    # paramDecl
  | kind=ident name=ident (COLON qualifiedName)? block   # blockDecl
  ;

qualifiedName : ident (DOT ident)* ;

typeExpr
  : LBRACK typeExpr RBRACK     # listType
  | ident                      # namedType
  ;

block : LBRACE (entry (COMMA | SEMI)?)* RBRACE ;

entry
  : key=entryKey label=entryLabel? ASSIGN expr                                 # assignEntry
  | key=entryKey label=entryLabel? block                                       # blockEntry
  | key=entryKey op=(LT | LE | GT | GE | EQ | NE) expr                         # conditionEntry
  | key=entryKey label=entryLabel COLON typeExpr (ASSIGN expr)? block?         # fieldEntry
  ;

entryKey   : ident | STRING ;
entryLabel : ident | STRING ;

expr
  : primary                                          # primaryExpr
  | expr DOT ident                                   # memberExpr
  | op=(BANG | MINUS) expr                           # unaryExpr
  | expr op=(STAR | SLASH) expr                      # binaryExpr
  | expr op=(PLUS | MINUS) expr                      # binaryExpr
  | expr DOTDOT expr                                 # rangeExpr
  | expr op=(LT | LE | GT | GE) expr                 # binaryExpr
  | expr op=(EQ | NE) expr                           # binaryExpr
  | expr op=ANDAND expr                              # binaryExpr
  | expr op=OROR expr                                # binaryExpr
  | IF expr THEN expr ELSE expr                      # ifExpr
  ;

primary
  : INT                                              # intLiteral
  | FLOAT                                            # floatLiteral
  | QUANTITY                                         # quantityLiteral
  | (TRUE | FALSE)                                   # boolLiteral
  | STRING                                           # stringLiteral
  | TRIPLE_STRING                                    # stringLiteral
  | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK       # listLiteral
  | ident LPAREN (expr (COMMA expr)* COMMA?)? RPAREN block?   # callExpr
  | ident block                                      # constructorExpr
  | ident                                            # nameExpr
  | LPAREN expr RPAREN                               # parenExpr
  | block                                            # blockLiteral
  ;

ident : IDENT ;
