//! The abstract syntax tree: what the parser makes and the checker and formatter read.
//!
//! It keeps what was written, comments and literal text included, so `fmt` can print a
//! file back canonically. Names are not resolved here; `model::check` does that.

use super::span::Span;

/// One `.pathway` file: its lines in order.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    pub lines: Vec<Line>,
}

/// A line: a statement, a comment, both, or neither (a blank line).
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub stmt: Option<Stmt>,
    /// The comment text after `#`, without the `#`.
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Import(Import),
    Units(Vec<UnitSetting>),
    Compartment(Compartment),
    Species(Vec<SpeciesInit>),
    Input(Input),
    Param(Param),
    Let(Let),
    Reaction(Reaction),
    Chain(Chain),
    Pk(Pk),
    Readout(Readout),
    Genotype(Genotype),
    Experiment(Experiment),
    Expect(Expect),
    Override(Override),
    Remove(Remove),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// `import "path"`
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: String,
    pub span: Span,
}

/// `time = min` or `concentration = uM` in a `units` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitSetting {
    pub dimension: Ident,
    pub unit: Unit,
}

/// `compartment spine = 0.08`
#[derive(Clone, Debug, PartialEq)]
pub struct Compartment {
    pub name: Ident,
    pub size: Quantity,
}

/// `Ca²⁺ = 0.08 uM in spine` in a `species` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct SpeciesInit {
    pub name: Ident,
    pub initial: Quantity,
    pub compartment: Option<Ident>,
}

/// `input ketamine = 0 uM`
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub name: Ident,
    pub value: Quantity,
}

/// `param IC50 = 5 uM in [1, 10] uM "source"`, or a derived parameter:
/// `param k_on = k_off / IC50 "source"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub value: ParamValue,
    /// Written after a quantity, or (an error the checker reports) after a formula.
    pub range: Option<Range>,
    pub note: Option<Note>,
}

/// What a parameter is set to: a value of its own (a free parameter), or a formula
/// of other parameters, declared amounts, inputs and lets (a derived one).
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Quantity(Quantity),
    Formula(Expr),
}

/// `in [lo, hi] unit`
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    pub lo: Number,
    pub hi: Number,
    pub unit: Option<Unit>,
    pub span: Span,
}

/// A quoted string after a parameter: its source or why it is an assumption.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub text: String,
    pub span: Span,
}

/// `let name = expr`
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    pub name: Ident,
    pub expr: Expr,
}

/// `label: 2 A + B -> C @ k` and its kin.
#[derive(Clone, Debug, PartialEq)]
pub struct Reaction {
    pub label: Option<Ident>,
    pub reactants: Vec<Term>,
    pub arrow: Arrow,
    pub products: Vec<Term>,
    pub rate: RateLaw,
    pub span: Span,
}

/// A species with its stoichiometry in a reaction side.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub stoich: Option<Spanned<u32>>,
    pub species: Ident,
}

pub use super::span::Spanned;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrow {
    /// `->` or `→`
    Forward,
    /// `<->` or `⇌`
    Reversible,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RateLaw {
    /// `@ kf` or `@ kf, kr`: rate constants of mass action.
    MassAction {
        forward: Expr,
        reverse: Option<Expr>,
    },
    /// `; expr`: the net rate written out.
    Explicit(Expr),
}

/// `chain A -> B -| C`
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub first: Ident,
    pub links: Vec<Link>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub sign: LinkSign,
    pub sign_span: Span,
    pub target: Ident,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkSign {
    /// `->`: some path from the left name to the right one is net positive.
    Activates,
    /// `-|` or `⊣`: some path is net negative.
    Inhibits,
}

/// A number as written, keeping its text for the formatter.
#[derive(Clone, Debug, PartialEq)]
pub struct Number {
    pub value: f64,
    pub text: String,
    pub span: Span,
}

/// A number with an optional unit: `0.08 uM`, `2 /s`.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantity {
    pub number: Number,
    pub unit: Option<Unit>,
    pub span: Span,
}

/// A unit such as `uM`, `/min`, `/uM/min`, `uM/s` or `1/s`: a product of atoms with
/// exponents +1 or −1.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub factors: Vec<(UnitAtom, i32)>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitAtom {
    Second,
    Minute,
    Hour,
    Day,
    NanoMolar,
    MicroMolar,
    MilliMolar,
    Molar,
}

impl UnitAtom {
    /// Spellings accepted after a number, longest first so `min` wins over `m`-less forms.
    pub const SPELLINGS: &'static [(&'static str, UnitAtom)] = &[
        ("min", UnitAtom::Minute),
        ("nM", UnitAtom::NanoMolar),
        ("uM", UnitAtom::MicroMolar),
        ("µM", UnitAtom::MicroMolar),
        ("μM", UnitAtom::MicroMolar),
        ("mM", UnitAtom::MilliMolar),
        ("M", UnitAtom::Molar),
        ("s", UnitAtom::Second),
        ("h", UnitAtom::Hour),
        ("d", UnitAtom::Day),
    ];

    /// The canonical spelling the formatter prints.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitAtom::Second => "s",
            UnitAtom::Minute => "min",
            UnitAtom::Hour => "h",
            UnitAtom::Day => "d",
            UnitAtom::NanoMolar => "nM",
            UnitAtom::MicroMolar => "uM",
            UnitAtom::MilliMolar => "mM",
            UnitAtom::Molar => "M",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Number(Quantity),
    Name(Ident),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Pow => "^",
        }
    }

    /// Binding strength; higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
            BinOp::Pow => 4,
        }
    }
}

/// Binding strength of unary minus: above `*`, below `^` (so `-x^2` is `-(x^2)`).
pub const NEG_PRECEDENCE: u8 = 3;

/// `pk ketamine absorption = 2 min, elimination = t_half`: first-order
/// pharmacokinetics of an input, as two half-lives.
#[derive(Clone, Debug, PartialEq)]
pub struct Pk {
    pub input: Ident,
    pub absorption: Operand,
    pub elimination: Operand,
    pub span: Span,
}

/// A value written as a quantity or as the name of a parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Quantity(Quantity),
    Name(Ident),
}

/// `readout fEPSP = 100 * surface / baseline(surface)`
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    pub name: Ident,
    pub expr: Expr,
}

/// The items of a `{ ... }` block, each with the comment of its line.
#[derive(Clone, Debug, PartialEq)]
pub struct Block<T> {
    pub items: Vec<BlockLine<T>>,
    /// Written on the header's line: `{ a; b }`.
    pub inline: bool,
    /// The comment on the closing `}` line of a multi-line block.
    pub close_comment: Option<String>,
    /// The opening `{`.
    pub open: Span,
}

/// One line of a multi-line block (an item, a comment, both or neither), or one
/// item of an inline block.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockLine<T> {
    pub item: Option<T>,
    pub comment: Option<String>,
}

impl<T> Block<T> {
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.items.iter().filter_map(|l| l.item.as_ref())
    }
}

/// `genotype S421A { disable mecp2_phos }`
#[derive(Clone, Debug, PartialEq)]
pub struct Genotype {
    pub name: Ident,
    pub block: Block<GenotypeItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum GenotypeItem {
    /// The species starts at 0 and every reaction making it is off.
    Knockout(Ident),
    /// The labelled reaction is off.
    Disable(Ident),
    /// A parameter takes another value.
    Set(Ident, Quantity),
}

/// `experiment NAME "description" extends OTHER { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    pub name: Ident,
    pub description: Option<Note>,
    pub extends: Option<Ident>,
    pub block: Block<ExperimentItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentItem {
    /// `genotype G`
    Genotype(Ident),
    /// `start steady` or `start initial`
    Start(Ident),
    Event(Event),
    /// `run T every Δ`
    Run {
        until: Time,
        every: Time,
        span: Span,
    },
}

/// `at T [every Δ for D] set INPUT = value` or `... dose INPUT = value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub at: Time,
    pub repeat: Option<(Time, Time)>,
    pub action: Action,
    pub input: Ident,
    pub value: Quantity,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Set,
    Dose,
}

/// A time: one quantity or a sum of them (`7 d + 1 h`).
#[derive(Clone, Debug, PartialEq)]
pub struct Time {
    pub terms: Vec<Quantity>,
    pub span: Span,
}

/// `expect CLAIM [always|once over [t1, t2]] [weight W] [margin M] ["source"]`
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    pub lhs: Lhs,
    pub op: Cmp,
    pub rhs: Rhs,
    /// After `≈`: `within 10` or `within 10%`.
    pub tolerance: Option<Tolerance>,
    /// After a claim on a readout alone (`Lhs::Series`): where it must hold.
    pub window: Option<Box<Quantified>>,
    /// `weight 2`: how much the expectation counts in a fit.
    pub weight: Option<Number>,
    /// `margin 5%` or `margin 5 uM`: the room a fit asks for beyond the claim.
    pub margin: Option<Box<Margin>>,
    pub note: Option<Note>,
    pub span: Span,
}

/// `always over [t1, t2]` or `once over [t1, t2]` (`between` is a synonym of `over`).
#[derive(Clone, Debug, PartialEq)]
pub struct Quantified {
    pub quantifier: Quantifier,
    pub from: Time,
    pub to: Time,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    /// At every output time of the window, its ends included.
    Always,
    /// At some output time of the window.
    Once,
}

impl Quantifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantifier::Always => "always",
            Quantifier::Once => "once",
        }
    }
}

/// `margin 5` (with the readout's unit, or none) or `margin 5%` (of the target).
#[derive(Clone, Debug, PartialEq)]
pub struct Margin {
    pub value: Quantity,
    pub percent: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lhs {
    Measure(Measure),
    /// `occlusion(A, B, R at T)`
    Occlusion {
        a: Ident,
        b: Ident,
        readout: Ident,
        at: Time,
        span: Span,
    },
    /// `EXPERIMENT: R`, a readout at every time of a window (`Expect::window`).
    Series {
        experiment: Ident,
        readout: Ident,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rhs {
    Measure(Box<Scaled>),
    Value(Quantity),
}

/// `[OFFSET (+|-)] [FACTOR *] MEASURE`: offset + factor × measure, the factor negated
/// after `-`.
#[derive(Clone, Debug, PartialEq)]
pub struct Scaled {
    pub offset: Option<Quantity>,
    /// After the offset: whether it is `-`.
    pub minus: bool,
    pub factor: Option<Number>,
    pub measure: Measure,
}

/// `EXPERIMENT: STAT`
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    pub experiment: Ident,
    pub stat: Stat,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stat {
    /// `R at T`
    At { readout: Ident, time: Time },
    /// `max R over [t1, t2]` (also min, mean)
    Window {
        kind: Window,
        readout: Ident,
        from: Time,
        to: Time,
    },
    /// `R from t1 to t2`: R(t2) − R(t1)
    Change {
        readout: Ident,
        from: Time,
        to: Time,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Max,
    Min,
    Mean,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Max => "max",
            Window::Min => "min",
            Window::Mean => "mean",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Gt,
    Le,
    Ge,
    Approx,
}

impl Cmp {
    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Gt => ">",
            Cmp::Le => "<=",
            Cmp::Ge => ">=",
            Cmp::Approx => "≈",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tolerance {
    pub value: Number,
    pub percent: bool,
    pub span: Span,
}

/// `override param k = 2 /min`, `override label: A -> B ; rate`: a declaration that
/// replaces one of the same name (or label) from an import.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// A `Param`, `Let`, `Species` (one), `Input` or labelled `Reaction`.
    pub stmt: Box<Stmt>,
    /// The `override` keyword.
    pub span: Span,
}

/// `remove species X`, `remove reaction label` or `remove chain A -> B`.
#[derive(Clone, Debug, PartialEq)]
pub struct Remove {
    pub target: RemoveTarget,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RemoveTarget {
    Species(Ident),
    Reaction(Ident),
    /// A chain assertion, matched by its names and signs.
    Chain(Chain),
}
