//! The syntax tree of one `.schema` file, exactly as written: names are not bound, types are not
//! normalised and nothing is defaulted (that is `model::resolve` and `catalog::lower`).
//! Every node has a `Span`; comments are kept (`File::comments`) so that `fmt` can put them back,
//! and `///` doc comments are also attached to the table, column or enum that follows them.

use crate::source::{FileId, Span};

pub use super::ast_routines::*;

/// One parsed `.schema` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Every `//` and `///` comment outside strings and parentheses, in source order.
    pub comments: Vec<Comment>,
}

/// A `//` or `///` comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// From the first `/` to the end of the line (newline excluded).
    pub span: Span,
    /// The whole comment as written, `//` included, trailing spaces removed.
    pub text: String,
    /// True for `///` (but not `////`).
    pub doc: bool,
    /// True when code precedes the comment on its line.
    pub trailing: bool,
}

/// A name as written, `[A-Za-z_][A-Za-z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `name` or `schema.name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualName {
    pub schema: Option<Ident>,
    pub name: Ident,
    pub span: Span,
}

impl QualName {
    /// The name as written, `schema.name` or `name`.
    pub fn text(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", schema.name, self.name.name),
            None => self.name.name.clone(),
        }
    }
}

/// A `///` doc comment block: its lines joined with `\n`, one leading space removed from each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub text: String,
    pub span: Span,
}

/// A verbatim SQL expression written in parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// The text between the parentheses, byte for byte.
    pub text: String,
    /// Span of the whole `( ... )`.
    pub span: Span,
}

/// A double-quoted string, unescaped (`""` becomes `"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringLit {
    pub value: String,
    pub span: Span,
}

/// A top-level item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Tenancy(Tenancy),
    Enum(EnumDef),
    Table(TableDef),
    Role(RoleDef),
    Grant(GrantDef),
    Extension(ExtensionDef),
    Sequence(SequenceDef),
    View(ViewDef),
    Routine(RoutineDef),
    Domain(DomainDef),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Tenancy(t) => t.span,
            Item::Enum(e) => e.span,
            Item::Table(t) => t.span,
            Item::Role(r) => r.span,
            Item::Grant(g) => g.span,
            Item::Extension(e) => e.span,
            Item::Sequence(s) => s.span,
            Item::View(v) => v.span,
            Item::Routine(r) => r.span,
            Item::Domain(d) => d.span,
        }
    }
}

/// `tenancy { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenancy {
    pub entries: Vec<TenancyEntry>,
    pub span: Span,
}

/// One `key value` pair of a `tenancy` block.
#[derive(Debug, Clone, PartialEq)]
pub struct TenancyEntry {
    pub kind: TenancyEntryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TenancyEntryKind {
    Root(QualName),
    Column(Ident),
    Setting(StringLit),
    Bypass(Ident),
    Rls(bool),
    /// `fill on|off`: fill triggers on tenant tables.
    Fill(bool),
}

impl TenancyEntryKind {
    /// The entry's keyword (`root`, `column`, ...).
    pub fn keyword(&self) -> &'static str {
        match self {
            TenancyEntryKind::Root(_) => "root",
            TenancyEntryKind::Column(_) => "column",
            TenancyEntryKind::Setting(_) => "setting",
            TenancyEntryKind::Bypass(_) => "bypass",
            TenancyEntryKind::Rls(_) => "rls",
            TenancyEntryKind::Fill(_) => "fill",
        }
    }
}

/// `enum name [renamed from old] { a, b, "c d" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumDef {
    pub doc: Option<Doc>,
    pub name: QualName,
    pub renamed_from: Option<QualName>,
    pub values: Vec<EnumValue>,
    pub span: Span,
}

/// One enum value; `quoted` when written as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    pub value: String,
    pub quoted: bool,
    pub span: Span,
}

/// Which `table` keyword introduced a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Plain,
    Tenant,
    Global,
}

/// `[tenant|global] table name [renamed from old] { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    pub doc: Option<Doc>,
    pub kind: TableKind,
    pub name: QualName,
    pub renamed_from: Option<QualName>,
    pub entries: Vec<TableEntry>,
    /// Span of the closing `}` (empty where it is missing).
    pub close: Span,
    pub span: Span,
}

/// One line of a table body.
#[derive(Debug, Clone, PartialEq)]
pub struct TableEntry {
    pub kind: TableEntryKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TableEntryKind {
    Column(ColumnDef),
    PrimaryKey {
        /// `primary key NAME (a)`: the constraint's name, where not `<table>_pkey`.
        name: Option<Ident>,
        columns: Vec<Ident>,
    },
    Unique {
        name: Option<Ident>,
        columns: Vec<Ident>,
        /// `nulls not distinct` (PostgreSQL 15+).
        nulls_not_distinct: bool,
    },
    Index(IndexDef),
    Check {
        name: Option<Ident>,
        expr: Expr,
    },
    ForeignKey(ForeignKeyDef),
    Policy(PolicyDef),
    Backfill {
        column: Ident,
        source: BackfillSource,
    },
    /// `row level security [forced]`.
    RowLevelSecurity {
        forced: bool,
    },
    /// `partition by range|list|hash (keys)`; the keys are kept verbatim.
    PartitionBy {
        strategy: PartitionStrategy,
        keys: Expr,
    },
    /// `partition NAME <bound>`.
    Partition {
        name: Ident,
        bound: PartitionBound,
    },
    /// `partitions unmanaged`: the partitions are made by someone else.
    PartitionsUnmanaged,
    Trigger(TriggerDef),
}

/// How a partitioned table splits its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionStrategy {
    Range,
    List,
    Hash,
}

impl PartitionStrategy {
    /// The keyword as written in the source.
    pub fn source(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "range",
            PartitionStrategy::List => "list",
            PartitionStrategy::Hash => "hash",
        }
    }
}

/// The values a partition holds, as written (the expressions are verbatim SQL value lists).
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionBound {
    Range { from: Expr, to: Expr },
    List(Expr),
    Hash { modulus: u32, remainder: u32 },
    Default,
}

/// `name type[?] attributes...`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub doc: Option<Doc>,
    pub name: Ident,
    pub ty: TypeRef,
    pub nullable: bool,
    pub attributes: Vec<Attribute>,
    pub span: Span,
}

/// A column type as written.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeRef {
    pub name: TypeName,
    pub array: bool,
    /// The type without `?`.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeName {
    /// `text`, `varchar(20)`, `numeric(10, 2)`, `my_enum`, `ns.my_enum`.
    Named { name: QualName, args: Vec<u32> },
    /// `"double precision"`.
    Quoted(StringLit),
}

impl TypeName {
    /// The type as written, for messages.
    pub fn text(&self) -> String {
        match self {
            TypeName::Named { name, args } if args.is_empty() => name.text(),
            TypeName::Named { name, args } => {
                let args: Vec<String> = args.iter().map(u32::to_string).collect();
                format!("{}({})", name.text(), args.join(", "))
            }
            TypeName::Quoted(s) => format!("\"{}\"", s.value),
        }
    }
}

/// A column attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub kind: AttributeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AttributeKind {
    Primary,
    Unique,
    Index,
    Default(Expr),
    /// Boxed: the largest kind by far, and most columns have none (an attribute list holds
    /// every kind at the size of the largest).
    References(Box<References>),
    Check(Expr),
    RenamedFrom(Ident),
    Using(Expr),
    Backfill(Expr),
    /// `generated (expr) [stored | virtual]`; `virtual_kind` is `None` when neither is written.
    Generated {
        expr: Expr,
        virtual_kind: Option<bool>,
    },
    /// `identity` (`always: false`, GENERATED BY DEFAULT) or `identity always`.
    Identity {
        always: bool,
    },
}

impl AttributeKind {
    /// The attribute's keyword, for messages (`default`, `references`, ...).
    pub fn keyword(&self) -> &'static str {
        match self {
            AttributeKind::Primary => "primary",
            AttributeKind::Unique => "unique",
            AttributeKind::Index => "index",
            AttributeKind::Default(_) => "default",
            AttributeKind::References(_) => "references",
            AttributeKind::Check(_) => "check",
            AttributeKind::RenamedFrom(_) => "renamed from",
            AttributeKind::Using(_) => "using",
            AttributeKind::Backfill(_) => "backfill",
            AttributeKind::Generated { .. } => "generated",
            AttributeKind::Identity { .. } => "identity",
        }
    }
}

/// `references t[(col)] [on delete A] [on update A]`.
#[derive(Debug, Clone, PartialEq)]
pub struct References {
    pub table: QualName,
    pub column: Option<Ident>,
    /// `name NAME`: the constraint's name, where not PostgreSQL's default.
    pub name: Option<Ident>,
    pub rules: Vec<FkRule>,
}

/// `on delete A` / `on update A`.
#[derive(Debug, Clone, PartialEq)]
pub struct FkRule {
    pub event: FkEvent,
    pub action: FkAction,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkEvent {
    Delete,
    Update,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FkAction {
    Cascade,
    Restrict,
    SetNull,
    SetDefault,
    NoAction,
}

impl FkAction {
    /// `.schema` spelling.
    pub fn source(self) -> &'static str {
        match self {
            FkAction::Cascade => "cascade",
            FkAction::Restrict => "restrict",
            FkAction::SetNull => "set null",
            FkAction::SetDefault => "set default",
            FkAction::NoAction => "no action",
        }
    }
}

/// `index [name] (keys) [using m] [where (expr)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    /// `unique index`: a unique index, which is not a unique constraint.
    pub unique: bool,
    pub name: Option<Ident>,
    pub keys: Vec<IndexKey>,
    pub method: Option<Ident>,
    /// `include (cols)`.
    pub include: Vec<Ident>,
    /// `nulls not distinct`.
    pub nulls_not_distinct: bool,
    pub predicate: Option<Expr>,
}

/// A plain column or a verbatim expression.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexKey {
    Column(Ident),
    Expr(Expr),
}

/// `foreign key (a, b) references t [(x, y)] [on delete A] [on update A]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKeyDef {
    /// `foreign key NAME (...)`: the constraint's name, where not PostgreSQL's default.
    pub name: Option<Ident>,
    pub columns: Vec<Ident>,
    pub table: QualName,
    pub referenced_columns: Option<Vec<Ident>>,
    pub rules: Vec<FkRule>,
}

/// `policy name for cmd [to r, ...] [using (expr)] [with check (expr)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDef {
    pub name: Ident,
    pub command: PolicyCommand,
    pub roles: Vec<Ident>,
    pub using: Option<Expr>,
    pub with_check: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyCommand {
    Select,
    Insert,
    Update,
    Delete,
    All,
}

impl PolicyCommand {
    /// `.schema` spelling.
    pub fn source(self) -> &'static str {
        match self {
            PolicyCommand::Select => "select",
            PolicyCommand::Insert => "insert",
            PolicyCommand::Update => "update",
            PolicyCommand::Delete => "delete",
            PolicyCommand::All => "all",
        }
    }
}

/// Where a table-level `backfill` takes its value from.
#[derive(Debug, Clone, PartialEq)]
pub enum BackfillSource {
    /// `backfill col from fk_col`.
    From(Ident),
    /// `backfill col (expr)`.
    Expr(Expr),
}

/// `extension name [schema s]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtensionDef {
    pub name: Ident,
    pub schema: Option<Ident>,
    pub span: Span,
}

/// `sequence name [options]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceDef {
    pub name: QualName,
    pub options: Vec<SequenceOption>,
    pub span: Span,
}

/// One option of a `sequence` item, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceOption {
    As(Ident),
    Start(i64),
    Increment(i64),
    MinValue(i64),
    MaxValue(i64),
    Cache(i64),
    Cycle,
}

impl SequenceOption {
    /// The option as written in the source (`start 1000`, `cycle`).
    pub fn source(&self) -> String {
        match self {
            SequenceOption::As(ty) => format!("as {}", ty.name),
            SequenceOption::Start(n) => format!("start {n}"),
            SequenceOption::Increment(n) => format!("increment {n}"),
            SequenceOption::MinValue(n) => format!("minvalue {n}"),
            SequenceOption::MaxValue(n) => format!("maxvalue {n}"),
            SequenceOption::Cache(n) => format!("cache {n}"),
            SequenceOption::Cycle => "cycle".to_string(),
        }
    }
}

/// `[materialized] view name [with (options)] as (query) [{ indexes }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewDef {
    pub materialized: bool,
    pub name: QualName,
    /// `with (security_barrier, check_option = local)`: each option as written, `name[=value]`.
    pub options: Vec<Ident>,
    /// The query, verbatim.
    pub query: Expr,
    /// A materialized view's indexes (`None` without braces).
    pub indexes: Option<Vec<IndexDef>>,
    /// Each index entry's span, in the order of `indexes`.
    pub index_spans: Vec<Span>,
    pub span: Span,
}

/// `role a[, b]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDef {
    pub names: Vec<Ident>,
    pub span: Span,
}

/// `grant privileges on targets to roles`.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantDef {
    pub privileges: Vec<PrivilegeRef>,
    pub targets: GrantTargets,
    pub roles: Vec<Ident>,
    pub span: Span,
}

/// A privilege keyword as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivilegeRef {
    pub privilege: Privilege,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
    References,
    Trigger,
    /// `all` or `all privileges`.
    All,
}

impl Privilege {
    /// `.schema` spelling.
    pub fn source(self) -> &'static str {
        match self {
            Privilege::Select => "select",
            Privilege::Insert => "insert",
            Privilege::Update => "update",
            Privilege::Delete => "delete",
            Privilege::Truncate => "truncate",
            Privilege::References => "references",
            Privilege::Trigger => "trigger",
            Privilege::All => "all",
        }
    }
}

/// What a `grant` applies to.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantTargets {
    Tables(Vec<QualName>),
    TenantTables(Span),
    GlobalTables(Span),
    AllTables(Span),
}
