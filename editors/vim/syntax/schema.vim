" Vim syntax file
" Language:    schemac .schema (declarative PostgreSQL schema)
" Maintainer:  the schemac project
"
" Keywords are not reserved in the language: a column may be called `role` or `index`. Inside a
" table body, a line that has the shape `name type ...` is a column and its name is highlighted as
" one; table-level entries (`index (`, `check name (`, `policy p for` ...) are recognised by shape.
" SQL expressions in parentheses after `default`, `check`, `using`, `where`, `generated`,
" `backfill` and `with check` get their own small SQL highlighting, which, like the compiler,
" balances parentheses and respects '...' and "..." and nothing else.

if exists('b:current_syntax')
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match
syn sync fromstart

" ---------------------------------------------------------------------------------------------
" Comments, strings, numbers

syn keyword schemaTodo contained TODO FIXME XXX NOTE
syn match   schemaComment    "//.*$" contains=schemaTodo,@Spell
" Defined after schemaComment so that it wins where both match; `////` is a plain comment.
syn match   schemaDocComment "///\%(/\)\@!.*$" contains=schemaTodo,@Spell
syn region  schemaString     start=+"+ skip=+""+ end=+"+ oneline
syn match   schemaNumber     "\<\d\+\%(\.\d\+\)\=\>"
" A function or procedure body, verbatim between dollar quotes (`$$`, `$fn$`): nothing inside is
" a comment or a keyword of the language.
syn region  schemaDollarBody start=/\$\z(\h\w*\)\=\$/ end=/\$\z1\$/

" ---------------------------------------------------------------------------------------------
" Keywords (every keyword of compiler/src/syntax/schema.pest is in one of these groups; a test
" checks it)

" `tenancy`, `enum`, `table` and `role` are defined with the items below (they lead into them).
syn keyword schemaStatement  grant
syn keyword schemaModifier   tenant global
syn keyword schemaKeyword    root column setting bypass rls fill renamed from key foreign where policy
syn keyword schemaKeyword    for to with tables row level security forced on delete update set no
syn keyword schemaKeyword    action select insert all truncate trigger always as stored nologin login
syn keyword schemaKeyword    privileges permissive restrictive only zone without array
syn keyword schemaAttribute  primary unique index default references check using backfill generated
syn keyword schemaAttribute  identity
syn keyword schemaKeyword    name extension schema sequence start increment minvalue maxvalue cache
syn keyword schemaKeyword    cycle
syn keyword schemaKeyword    partition partitions unmanaged by range list in modulus remainder
syn keyword schemaKeyword    view materialized
syn keyword schemaKeyword    function procedure domain before after instead of or each
syn keyword schemaKeyword    statement when execute
syn keyword schemaConstant   off null true false cascade restrict
syn keyword schemaIndexMethod btree hash gist gin brin spgist
syn keyword schemaIndexMethod bloom
syn keyword schemaKeyword    include nulls not distinct virtual asc desc first last collate
syn keyword schemaType       uuid text varchar char character varying smallint int integer bigint
syn keyword schemaType       int2 int4 int8 smallserial serial bigserial serial2 serial4 serial8
syn keyword schemaType       bool boolean real float float4 float8 double precision numeric decimal
syn keyword schemaType       date time timetz timestamp timestamptz interval json jsonb bytea inet
syn keyword schemaType       cidr macaddr citext money tsvector xml oid bpchar

syn cluster schemaWords contains=schemaStatement,schemaStructure,schemaModifier,schemaKeyword,schemaAttribute,schemaConstant,schemaIndexMethod,schemaType
syn cluster schemaBasics contains=schemaComment,schemaDocComment,schemaString,schemaNumber

" ---------------------------------------------------------------------------------------------
" Embedded SQL expressions (the `(` is found by looking behind it for the keyword: a keyword match
" at the same position as a region start would win and the region would never begin)

syn region  schemaExpr matchgroup=schemaExprParen start="\%(\<\%(default\|check\|using\|where\|generated\|backfill\|when\)\>\%(\s\+\h\w*\)\=\s*\)\@<=(" end=")" contains=@schemaSql
syn region  schemaSqlParens matchgroup=schemaSqlParen start="(" end=")" contained transparent contains=@schemaSql
syn region  schemaSqlString start=+'+ skip=+''+ end=+'+ contained
syn region  schemaSqlQuoted start=+"+ skip=+""+ end=+"+ contained
syn match   schemaSqlNumber "\<\d\+\%(\.\d\+\)\=\>" contained
syn match   schemaSqlFunction "\<\h\w*\ze\s*(" contained
syn match   schemaSqlOperator "::\|[-+*/%<>=!~#|&^]" contained
" After the operators, so that these win where both match. The parser does not know SQL comments:
" a parenthesis or quote inside one still counts, so a comment stops before them.
syn match   schemaSqlComment "--[^()'\"]*" contained
syn match   schemaSqlComment "/\*\%([^*()'\"]\|\*/\@!\)*\%(\*/\)\=" contained
syn keyword schemaSqlKeyword contained and or not is in between like ilike similar null true false
syn keyword schemaSqlKeyword contained case when then else end as at time zone interval distinct
syn keyword schemaSqlKeyword contained exists any all some array current_date current_timestamp
syn cluster schemaSql contains=schemaSqlParens,schemaSqlString,schemaSqlQuoted,schemaSqlComment,schemaSqlNumber,schemaSqlFunction,schemaSqlOperator,schemaSqlKeyword

" ---------------------------------------------------------------------------------------------
" Items

" tenancy { ... }
syn keyword schemaStatement tenancy nextgroup=schemaTenancyBody skipwhite skipnl
syn region  schemaTenancyBody matchgroup=schemaBrace start="{" end="}" contained contains=@schemaBasics,@schemaWords,schemaTenancyRoot,schemaRoleRef
syn match   schemaTenancyRoot "\%(\<root\s\+\)\@<=\h\w*\%(\.\h\w*\)\=" contained

" enum name [renamed from old] { values }
syn keyword schemaStructure enum nextgroup=schemaEnumName skipwhite skipnl
syn match   schemaEnumName "\h\w*\%(\.\h\w*\)\=" contained nextgroup=schemaEnumRenamed,schemaEnumBody skipwhite skipnl skipempty
syn match   schemaEnumRenamed "\<renamed\s\+from\s\+\h\w*\%(\.\h\w*\)\=" contained contains=schemaKeyword nextgroup=schemaEnumBody skipwhite skipnl skipempty
syn region  schemaEnumBody matchgroup=schemaBrace start="{" end="}" contained contains=schemaComment,schemaDocComment,schemaString,schemaEnumValue
syn match   schemaEnumValue "\h\w*" contained

" [tenant|global] table name [renamed from old] { ... }
syn keyword schemaStructure table nextgroup=schemaTableName skipwhite skipnl
syn match   schemaTableName "\h\w*\%(\.\h\w*\)\=" contained nextgroup=schemaTableRenamed,schemaTableBody skipwhite skipnl skipempty
syn match   schemaTableRenamed "\<renamed\s\+from\s\+\h\w*\%(\.\h\w*\)\=" contained contains=schemaKeyword nextgroup=schemaTableBody skipwhite skipnl skipempty
syn region  schemaTableBody matchgroup=schemaBrace start="{" end="}" contained contains=@schemaBasics,@schemaWords,schemaExpr,schemaColumnStart,schemaRefTable,schemaOldName,schemaEntryName,schemaNullable,schemaArray,schemaRoleRef

" A column: `name type`. The match starts at the line start, before any keyword could, so a column
" named like a keyword is still a column; lines that begin a table-level entry are excluded.
syn match   schemaColumnStart "\v^\s*%(%(primary|foreign)\s+key%(\s+\h\w*)=\s*\(|unique\s+index%(\s+\h\w*)=\s*\(|%(unique|index|check)%(\s+\h\w*)=\s*\(|policy\s+\h\w*\s+for>|backfill\s+\h\w*\s*%(from>|\()|row\s+level\s+security>|partitions=\s+\h|with\s+check>|on\s+%(delete|update)>|for\s+\h|to\s|using\s)@!\h\w*\s+\ze[A-Za-z_"]" contained contains=schemaColumnName nextgroup=schemaColumnType
syn match   schemaColumnName "\h\w*" contained
syn match   schemaColumnType "\%(\"\%([^\"]\|\"\"\)*\"\|character\s\+varying\>\|\h\w*\%(\.\h\w*\)\=\)" contained contains=schemaType

" Names after a keyword are found by looking behind them: a match starting at the keyword itself
" would lose to the keyword.
syn match   schemaRefTable "\%(\<references\s\+\)\@<=\h\w*\%(\.\h\w*\)\=" contained
syn match   schemaOldName "\%(\<renamed\s\+from\s\+\)\@<=\h\w*" contained
syn match   schemaEntryName "\%(^\s*\%(index\|unique\|unique\s\+index\|check\|policy\|primary\s\+key\|foreign\s\+key\)\s\+\)\@<=\h\w*\ze\s*\%((\|for\>\)" contained
syn match   schemaNullable "?" contained
syn match   schemaArray "\[\]" contained

" role name / grant ... on ... to name
syn keyword schemaStructure role nextgroup=schemaRoleName skipwhite
syn match   schemaRoleName "\h\w*\%(\s*,\s*\h\w*\)*" contained
" A role after `to` (grants, policies) or `bypass`, and the rest of a `to a, b` list.
syn match   schemaRoleRef "\%(\<\%(to\|bypass\)\s\+\)\@<=\h\w*\%(\s*,\s*\h\w*\)*"

" ---------------------------------------------------------------------------------------------
" Highlighting

hi def link schemaTodo        Todo
hi def link schemaComment     Comment
hi def link schemaDocComment  SpecialComment
hi def link schemaString      String
hi def link schemaDollarBody  String
hi def link schemaNumber      Number
hi def link schemaStatement   Statement
hi def link schemaStructure   Structure
hi def link schemaModifier    StorageClass
hi def link schemaKeyword     Keyword
hi def link schemaAttribute   StorageClass
hi def link schemaConstant    Constant
hi def link schemaIndexMethod Constant
hi def link schemaType        Type
hi def link schemaColumnType  Type
hi def link schemaTableName   Typedef
hi def link schemaTenancyRoot Typedef
hi def link schemaRefTable    Typedef
hi def link schemaEnumName    Typedef
hi def link schemaEnumRenamed Typedef
hi def link schemaTableRenamed Typedef
hi def link schemaEnumValue   Constant
hi def link schemaColumnName  Identifier
hi def link schemaRoleName    Identifier
hi def link schemaRoleRef     Identifier
hi def link schemaOldName     Identifier
hi def link schemaEntryName   Function
hi def link schemaNullable    Operator
hi def link schemaArray       Operator
hi def link schemaBrace       Delimiter
hi def link schemaExprParen   Delimiter
hi def link schemaSqlParen    Delimiter
hi def link schemaSqlString   String
hi def link schemaSqlQuoted   Identifier
hi def link schemaSqlComment  Comment
hi def link schemaSqlNumber   Number
hi def link schemaSqlFunction Function
hi def link schemaSqlOperator Operator
hi def link schemaSqlKeyword  Keyword

let b:current_syntax = 'schema'
let &cpo = s:cpo_save
unlet s:cpo_save
