// Lexical structure of the .deploy language (docs/language.md, "Lexical structure").
// Comments go to the hidden channel so the formatter and the language server can
// recover them; whitespace is skipped because positions carry all layout we need.
lexer grammar DeployLexer;

IMPORT : 'import' ;
PARAM  : 'param' ;
IF     : 'if' ;
THEN   : 'then' ;
ELSE   : 'else' ;
TRUE   : 'true' ;
FALSE  : 'false' ;

LBRACE   : '{' ;
RBRACE   : '}' ;
LBRACK   : '[' ;
RBRACK   : ']' ;
LPAREN   : '(' ;
RPAREN   : ')' ;
COMMA    : ',' ;
SEMI     : ';' ;
COLON    : ':' ;
DOTDOT   : '..' ;
DOT      : '.' ;
EQ       : '==' ;
NE       : '!=' ;
LE       : '<=' ;
GE       : '>=' ;
LT       : '<' ;
GT       : '>' ;
ASSIGN   : '=' ;
ANDAND   : '&&' ;
OROR     : '||' ;
BANG     : '!' ;
PLUS     : '+' ;
MINUS    : '-' ;
STAR     : '*' ;
SLASH    : '/' ;

// A number directly followed by a unit: 30s 5m 250m 1.5Gi 80% 300ms. What the
// unit means is decided by the type the value flows into (5m: minutes or millicores).
QUANTITY : DIGITS ('.' DIGITS)? [a-zA-Z%]+ ;
FLOAT    : DIGITS '.' DIGITS ;
INT      : DIGITS ;

// Interpolations ${...} stay inside the token; the AST builder parses them.
TRIPLE_STRING : '"""' .*? '"""' ;
STRING        : '"' ( ESCAPE | '${' ~[}\r\n]* '}' | '$' | ~["\\\r\n$] )* '"' ;
UNTERMINATED_STRING : '"' ( ESCAPE | ~["\\\r\n] )* ;

IDENT : [a-zA-Z_] [a-zA-Z0-9_]* ;

DOC_COMMENT   : '///' ~[\r\n]* -> channel(HIDDEN) ;
LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS            : [ \t\r\n\f]+ -> skip ;

// Anything else becomes one token the parser reports, so the lexer never fails.
UNEXPECTED_CHAR : . ;

fragment DIGITS : [0-9] [0-9_]* ;
fragment ESCAPE : '\\' . ;
