//! What the parser expected where a line went wrong, and the prose that says so.
//!
//! Every rule of grammar/pathway.ebnf that can fail names one `Expected` value; the
//! rendering in `Cx::error` writes it as "expected …, found …" with its help. The
//! message and the help of every variant are written here and nowhere else, so a
//! reworded message keeps its help.

use super::expr::{MAX_DEPTH, MAX_NESTING};

/// What would have been accepted where parsing stopped. Each variant names an input
/// that stops there, and `tests` parses each of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    /// What a nom combinator reports before its caller says what it wanted; every
    /// caller replaces it, so no known input shows it.
    Other,
    /// Met by `= 1`
    Statement,
    /// Met by `a b` given to `parse_expr`, which parses an expression on its own (its
    /// one caller, `units::parse_time`, keeps only whether it parsed).
    OperatorOrEnd,
    /// Met by `let x =`
    Expression,
    /// Met by `import "a.pathway" b`
    EndOfStatement,
    /// Met by `import synapse`
    FileName,
    /// Met by `import "synapse`
    ClosingQuote,
    /// Met by `units length = min`
    Dimension,
    /// Met by `units time min`
    Equals,
    /// Met by `units time = sec`
    Unit,
    /// Met by `compartment = 1`
    CompartmentName,
    /// Met by `compartment c = big`
    Number,
    /// Met by `param k = 1e999`
    FiniteNumber,
    /// Met by `species = 1`
    SpeciesName,
    /// Met by `species A 1`
    EqualsInitial,
    /// Met by `species A = high`
    Initial,
    /// Met by `input = 1`
    InputName,
    /// Met by `input drug 1`
    EqualsValue,
    /// Met by `input drug = none`
    Value,
    /// Met by `param = 1`
    ParamName,
    /// Met by `param k = 1 in (1, 2)`
    OpenBracket,
    /// Met by `param k = 1 in [1 2]`
    Comma,
    /// Met by `param k = 1 in [1, 2`
    CloseBracket,
    /// Met by `let = 1`
    Name,
    /// Met by `let x 1`
    EqualsExpression,
    /// Met by `chain a b`
    Link,
    /// Met by `override units time = min`
    Overridable,
    /// Met by `override A -> B @ k`
    LabelledReaction,
    /// Met by `override species A = 1, B = 2`
    OneSpecies,
    /// Met by `remove reaction`
    ReactionLabel,
    /// Met by `remove param k`
    Removable,
    /// Met by `pk drug elimination = 1 h`
    Absorption,
    /// Met by `pk drug absorption 1 h`
    EqualsHalfLife,
    /// Met by `pk drug absorption = 1 h elimination = 2 h`
    CommaElimination,
    /// Met by `pk drug absorption = 1 h, = 2 h`
    Elimination,
    /// Met by `pk drug absorption = , elimination = 2 h`
    HalfLife,
    /// Met by `readout = x`
    ReadoutName,
    /// Met by `genotype { }`
    GenotypeName,
    /// Met by `genotype g { delete A }`
    GenotypeItem,
    /// Met by `experiment { }`
    ExperimentName,
    /// Met by `experiment e extends { }`
    Parent,
    /// Met by `experiment e { wait 1 h }`
    ExperimentItem,
    /// Met by `experiment e { start now }`
    Start,
    /// Met by `experiment e { run 1 h }`
    Every,
    /// Met by `experiment e { at 0 h every 1 h set x = 1 uM }`
    For,
    /// Met by `experiment e { at 0 h add x = 1 uM }`
    Action,
    /// Met by `experiment e { run every 1 min }`
    Time,
    /// Met by `experiment e { run 1 h + every 1 min }`
    LaterTime,
    /// Met by `genotype g knockout A`
    OpenBrace,
    /// Met by `genotype g { knockout A disable r }`
    SemicolonOrBrace,
    /// Met by `knockout A disable r` on a line of its own in a block
    SemicolonOrEnd,
    /// A line of a block where the item parsers would ask for more input; they parse
    /// complete lines, so no known input shows it.
    Item,
    /// Met by `expect occlusion ket, am580`
    OpenParenOcclusion,
    /// Met by `expect occlusion(ket am580, fEPSP at 3 h) > 0.5`
    SecondExperiment,
    /// Met by `expect occlusion(ket, am580 fEPSP at 3 h) > 0.5`
    CommaReadout,
    /// Met by `expect occlusion(ket, am580, fEPSP) > 0.5`
    AtTime,
    /// Met by `let x = (a + b`
    CloseParen,
    /// Met by `expect ket: fEPSP at 1 h = 3`
    Comparison,
    /// Met by `expect ket: fEPSP at 1 h > high`
    ValueOrMeasure,
    /// Met by `expect ket: fEPSP at 1 h ≈ 3`
    Within,
    /// Met by `expect ket: fEPSP at 1 h ≈ 3 within ten`
    Tolerance,
    /// Met by `expect ket fEPSP at 1 h > 3`
    Colon,
    /// Met by `expect ket: max fEPSP [0 h, 1 h] > 3`
    Over,
    /// Met by `expect ket: fEPSP from 0 h 1 h > 3`
    To,
    /// Met by `expect ket: fEPSP 3`
    Stat,
    /// Met by `expect ket: fEPSP > 3`
    Quantifier,
    /// Met by `expect ket: fEPSP at 1 h > 3 weight heavy`
    Weight,
    /// Met by `expect ket: fEPSP at 1 h > 3 margin some`
    Margin,
    /// Met by `expect ket: fEPSP at 1 h > 2 * 3`
    ScaledMeasure,
    /// Met by `r: @ k`
    SpeciesOrArrow,
    /// Met by `A B -> C @ k`
    PlusOrArrow,
    /// Met by `A -> B @`
    RateConstant,
    /// Met by `A <-> B @ kf,`
    ReverseRateConstant,
    /// Met by `A -> B ;`
    RateLaw,
    /// Met by `A ->`
    ProductOrRate,
    /// Met by `A -> B`
    PlusOrRate,
    /// Met by `A + -> B @ k`
    Species,
    /// Met by `A + 4294967296 B -> C @ k` (a first term this large is no statement at all)
    Stoichiometry,
    /// Met by `2 -> B @ k`
    SpeciesAfterStoichiometry,
    /// Met by `let x = a +`
    Operand,
    /// Met by `let x = a ^`
    Exponent,
    /// Met by `)` given to `parse_expr`; inside a file, the rule that asked for an
    /// expression names what it wanted instead.
    Atom,
    /// Met by `let x = f(a, )`
    Argument,
    /// Met by `let x = f(a b)`
    CommaOrParen,
    /// Met by 65 parentheses around a sum (see `MAX_NESTING`)
    Shallower,
    /// Met by a sum of 257 terms (see `MAX_DEPTH`)
    Shorter,
}

impl Expected {
    /// What was expected, as it completes "expected …".
    pub fn message(self) -> &'static str {
        use Expected::*;
        match self {
            Other => "something else",
            Statement => "a statement",
            OperatorOrEnd => "an operator or the end of the expression",
            Expression => "an expression",
            EndOfStatement => "the end of the statement",
            FileName => "a quoted file name",
            ClosingQuote => "a closing `\"`",
            Dimension => "`time` or `concentration`",
            Equals => "`=`",
            Unit => "a unit such as `min` or `uM`",
            CompartmentName => "a compartment name",
            Number => "a number",
            FiniteNumber => "a finite number",
            SpeciesName => "a species name",
            EqualsInitial => "`=` and an initial value",
            Initial => "an initial value",
            InputName => "an input name",
            EqualsValue => "`=` and a value",
            Value => "a value",
            ParamName => "a parameter name",
            OpenBracket => "`[`",
            Comma => "`,`",
            CloseBracket => "`]`",
            Name => "a name",
            EqualsExpression => "`=` and an expression",
            Link => "`->` or `-|`",
            Overridable => "`param`, `let`, `species`, `input` or a labelled reaction",
            LabelledReaction => "a reaction with its label, `label: … `",
            OneSpecies => "one species",
            ReactionLabel => "a reaction label",
            Removable => "`species`, `reaction` or `chain`",
            Absorption => "`absorption`",
            EqualsHalfLife => "`=` and a half-life",
            CommaElimination => "`,` and `elimination = …`",
            Elimination => "`elimination`",
            HalfLife => "a half-life or a parameter name",
            ReadoutName => "a readout name",
            GenotypeName => "a genotype name",
            GenotypeItem => "`knockout SPECIES`, `disable REACTION` or `set PARAM = value`",
            ExperimentName => "an experiment name",
            Parent => "the name of an experiment",
            ExperimentItem => {
                "`at T set INPUT = value`, `run T every Δ`, `genotype G` or `start initial`"
            }
            Start => "`steady` or `initial`",
            Every => "`every` and the output interval",
            For => "`for` and how long to repeat",
            Action => "`set` or `dose`",
            Time => "a time such as `30 min`",
            LaterTime => "a time such as `1 h`",
            OpenBrace => "`{`",
            SemicolonOrBrace => "`;` or `}`",
            SemicolonOrEnd => "`;` or the end of the line",
            Item => "an item",
            OpenParenOcclusion => "`(` after `occlusion`",
            SecondExperiment => "`,` and a second experiment",
            CommaReadout => "`,` and `READOUT at T`",
            AtTime => "`at` and a time",
            CloseParen => "`)`",
            Comparison => "`<`, `>`, `<=`, `>=` or `≈`",
            ValueOrMeasure => "a value or `EXPERIMENT: READOUT at T`",
            Within => "`within` and a tolerance",
            Tolerance => "a tolerance",
            Colon => "`:` after the experiment's name",
            Over => "`over` and `[t1, t2]`",
            To => "`to` and a time",
            Stat => "`at T`, `from T1 to T2` or a readout after max/min/mean",
            Quantifier => "`always over [t1, t2]` or `once over [t1, t2]`",
            Weight => "a weight such as `2`",
            Margin => "a margin such as `5%` or `5 uM`",
            ScaledMeasure => "`EXPERIMENT: READOUT at T` after the factor or offset",
            SpeciesOrArrow => "a species or `->`",
            PlusOrArrow => "`+` or a reaction arrow `->`",
            RateConstant => "a rate constant",
            ReverseRateConstant => "a reverse rate constant",
            RateLaw => "a rate law",
            ProductOrRate => "a product, `@ k` (mass action) or `; rate`",
            PlusOrRate => "`+`, `@ k` (mass action) or `; rate`",
            Species => "a species",
            Stoichiometry => "a stoichiometry below 4294967296",
            SpeciesAfterStoichiometry => "a species after its stoichiometry",
            Operand => "an operand",
            Exponent => "an exponent",
            Atom => "a number, a name or `(`",
            Argument => "an argument",
            CommaOrParen => "`,` or `)`",
            Shallower => "a shallower expression",
            Shorter => "a shorter expression",
        }
    }

    /// What would fix the line.
    pub fn help(self) -> String {
        use Expected::*;
        match self {
            Statement => "a line holds one statement: `import`, `units`, `compartment`, `species`, `input`, `param`, `let`, `chain`, `pk`, `readout`, `genotype`, `experiment`, `expect`, or a reaction such as `A + B -> C @ k`".to_string(),
            Dimension => "write e.g. `units time = min, concentration = uM`".to_string(),
            Unit => "units are s, min, h, d, nM, uM (or µM), mM and M, combined like `/min` or `/uM/min`".to_string(),
            EndOfStatement => "each statement goes on its own line; put a `#` before a comment".to_string(),
            RateConstant | ReverseRateConstant | RateLaw | ProductOrRate | PlusOrRate => "end a reaction with `@ k` for mass action, `@ kf, kr` if reversible, or `; expression` for an explicit rate law".to_string(),
            CloseParen | CommaOrParen => "close every `(` that was opened on this line".to_string(),
            Quantifier => "a readout without `at T` or a statistic is judged over a window: add `always over [t1, t2]` or `once over [t1, t2]` after the comparison, or write `READOUT at T`".to_string(),
            ClosingQuote => "a string ends with `\"` on the same line".to_string(),
            Shallower => "parentheses, calls, negations and exponents each add a level; split the expression into `let` definitions".to_string(),
            Shorter => format!("each operator of a chain such as `a + b + c` adds a level; split the expression into `let` definitions of at most {MAX_DEPTH} terms"),
            _ => format!("write {} here; grammar/pathway.ebnf lists what each statement accepts", self.message()),
        }
    }

    /// The message and label of a bound the expression went beyond, which say more
    /// than "expected …, found …".
    pub fn beyond_limit(self) -> Option<(String, &'static str)> {
        match self {
            Expected::Shallower => Some((
                format!("expression nested more than {MAX_NESTING} levels deep"),
                "too deep",
            )),
            Expected::Shorter => Some((
                format!("expression more than {MAX_DEPTH} operations deep"),
                "one operation too many",
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Expected;
    use crate::syntax::{Diagnostic, FileId, parse, parse_expr};

    /// Every variant, in the order of the enum.
    const ALL: &[Expected] = &[
        Expected::Other,
        Expected::Statement,
        Expected::OperatorOrEnd,
        Expected::Expression,
        Expected::EndOfStatement,
        Expected::FileName,
        Expected::ClosingQuote,
        Expected::Dimension,
        Expected::Equals,
        Expected::Unit,
        Expected::CompartmentName,
        Expected::Number,
        Expected::FiniteNumber,
        Expected::SpeciesName,
        Expected::EqualsInitial,
        Expected::Initial,
        Expected::InputName,
        Expected::EqualsValue,
        Expected::Value,
        Expected::ParamName,
        Expected::OpenBracket,
        Expected::Comma,
        Expected::CloseBracket,
        Expected::Name,
        Expected::EqualsExpression,
        Expected::Link,
        Expected::Overridable,
        Expected::LabelledReaction,
        Expected::OneSpecies,
        Expected::ReactionLabel,
        Expected::Removable,
        Expected::Absorption,
        Expected::EqualsHalfLife,
        Expected::CommaElimination,
        Expected::Elimination,
        Expected::HalfLife,
        Expected::ReadoutName,
        Expected::GenotypeName,
        Expected::GenotypeItem,
        Expected::ExperimentName,
        Expected::Parent,
        Expected::ExperimentItem,
        Expected::Start,
        Expected::Every,
        Expected::For,
        Expected::Action,
        Expected::Time,
        Expected::LaterTime,
        Expected::OpenBrace,
        Expected::SemicolonOrBrace,
        Expected::SemicolonOrEnd,
        Expected::Item,
        Expected::OpenParenOcclusion,
        Expected::SecondExperiment,
        Expected::CommaReadout,
        Expected::AtTime,
        Expected::CloseParen,
        Expected::Comparison,
        Expected::ValueOrMeasure,
        Expected::Within,
        Expected::Tolerance,
        Expected::Colon,
        Expected::Over,
        Expected::To,
        Expected::Stat,
        Expected::Quantifier,
        Expected::Weight,
        Expected::Margin,
        Expected::ScaledMeasure,
        Expected::SpeciesOrArrow,
        Expected::PlusOrArrow,
        Expected::RateConstant,
        Expected::ReverseRateConstant,
        Expected::RateLaw,
        Expected::ProductOrRate,
        Expected::PlusOrRate,
        Expected::Species,
        Expected::Stoichiometry,
        Expected::SpeciesAfterStoichiometry,
        Expected::Operand,
        Expected::Exponent,
        Expected::Atom,
        Expected::Argument,
        Expected::CommaOrParen,
        Expected::Shallower,
        Expected::Shorter,
    ];

    /// Where an input goes: a file, or an expression on its own (`--readout`).
    enum Input {
        File(String),
        Expr(String),
    }

    /// The input each variant's doc names; `None` for the two no input is known to
    /// reach. The match has no wildcard, so a new variant needs its input here.
    fn input(e: Expected) -> Option<Input> {
        use Input::*;
        Some(match e {
            Expected::Other => return None,
            Expected::Statement => File("= 1".to_string()),
            Expected::OperatorOrEnd => Expr("a b".to_string()),
            Expected::Expression => File("let x =".to_string()),
            Expected::EndOfStatement => File("import \"a.pathway\" b".to_string()),
            Expected::FileName => File("import synapse".to_string()),
            Expected::ClosingQuote => File("import \"synapse".to_string()),
            Expected::Dimension => File("units length = min".to_string()),
            Expected::Equals => File("units time min".to_string()),
            Expected::Unit => File("units time = sec".to_string()),
            Expected::CompartmentName => File("compartment = 1".to_string()),
            Expected::Number => File("compartment c = big".to_string()),
            Expected::FiniteNumber => File("param k = 1e999".to_string()),
            Expected::SpeciesName => File("species = 1".to_string()),
            Expected::EqualsInitial => File("species A 1".to_string()),
            Expected::Initial => File("species A = high".to_string()),
            Expected::InputName => File("input = 1".to_string()),
            Expected::EqualsValue => File("input drug 1".to_string()),
            Expected::Value => File("input drug = none".to_string()),
            Expected::ParamName => File("param = 1".to_string()),
            Expected::OpenBracket => File("param k = 1 in (1, 2)".to_string()),
            Expected::Comma => File("param k = 1 in [1 2]".to_string()),
            Expected::CloseBracket => File("param k = 1 in [1, 2".to_string()),
            Expected::Name => File("let = 1".to_string()),
            Expected::EqualsExpression => File("let x 1".to_string()),
            Expected::Link => File("chain a b".to_string()),
            Expected::Overridable => File("override units time = min".to_string()),
            Expected::LabelledReaction => File("override A -> B @ k".to_string()),
            Expected::OneSpecies => File("override species A = 1, B = 2".to_string()),
            Expected::ReactionLabel => File("remove reaction".to_string()),
            Expected::Removable => File("remove param k".to_string()),
            Expected::Absorption => File("pk drug elimination = 1 h".to_string()),
            Expected::EqualsHalfLife => File("pk drug absorption 1 h".to_string()),
            Expected::CommaElimination => {
                File("pk drug absorption = 1 h elimination = 2 h".to_string())
            }
            Expected::Elimination => File("pk drug absorption = 1 h, = 2 h".to_string()),
            Expected::HalfLife => File("pk drug absorption = , elimination = 2 h".to_string()),
            Expected::ReadoutName => File("readout = x".to_string()),
            Expected::GenotypeName => File("genotype { }".to_string()),
            Expected::GenotypeItem => File("genotype g { delete A }".to_string()),
            Expected::ExperimentName => File("experiment { }".to_string()),
            Expected::Parent => File("experiment e extends { }".to_string()),
            Expected::ExperimentItem => File("experiment e { wait 1 h }".to_string()),
            Expected::Start => File("experiment e { start now }".to_string()),
            Expected::Every => File("experiment e { run 1 h }".to_string()),
            Expected::For => File("experiment e { at 0 h every 1 h set x = 1 uM }".to_string()),
            Expected::Action => File("experiment e { at 0 h add x = 1 uM }".to_string()),
            Expected::Time => File("experiment e { run every 1 min }".to_string()),
            Expected::LaterTime => File("experiment e { run 1 h + every 1 min }".to_string()),
            Expected::OpenBrace => File("genotype g knockout A".to_string()),
            Expected::SemicolonOrBrace => File("genotype g { knockout A disable r }".to_string()),
            Expected::SemicolonOrEnd => File("genotype g {\nknockout A disable r\n}".to_string()),
            Expected::Item => return None,
            Expected::OpenParenOcclusion => File("expect occlusion ket, am580".to_string()),
            Expected::SecondExperiment => {
                File("expect occlusion(ket am580, fEPSP at 3 h) > 0.5".to_string())
            }
            Expected::CommaReadout => {
                File("expect occlusion(ket, am580 fEPSP at 3 h) > 0.5".to_string())
            }
            Expected::AtTime => File("expect occlusion(ket, am580, fEPSP) > 0.5".to_string()),
            Expected::CloseParen => File("let x = (a + b".to_string()),
            Expected::Comparison => File("expect ket: fEPSP at 1 h = 3".to_string()),
            Expected::ValueOrMeasure => File("expect ket: fEPSP at 1 h > high".to_string()),
            Expected::Within => File("expect ket: fEPSP at 1 h ≈ 3".to_string()),
            Expected::Tolerance => File("expect ket: fEPSP at 1 h ≈ 3 within ten".to_string()),
            Expected::Colon => File("expect ket fEPSP at 1 h > 3".to_string()),
            Expected::Over => File("expect ket: max fEPSP [0 h, 1 h] > 3".to_string()),
            Expected::To => File("expect ket: fEPSP from 0 h 1 h > 3".to_string()),
            Expected::Stat => File("expect ket: fEPSP 3".to_string()),
            Expected::Quantifier => File("expect ket: fEPSP > 3".to_string()),
            Expected::Weight => File("expect ket: fEPSP at 1 h > 3 weight heavy".to_string()),
            Expected::Margin => File("expect ket: fEPSP at 1 h > 3 margin some".to_string()),
            Expected::ScaledMeasure => File("expect ket: fEPSP at 1 h > 2 * 3".to_string()),
            Expected::SpeciesOrArrow => File("r: @ k".to_string()),
            Expected::PlusOrArrow => File("A B -> C @ k".to_string()),
            Expected::RateConstant => File("A -> B @".to_string()),
            Expected::ReverseRateConstant => File("A <-> B @ kf,".to_string()),
            Expected::RateLaw => File("A -> B ;".to_string()),
            Expected::ProductOrRate => File("A ->".to_string()),
            Expected::PlusOrRate => File("A -> B".to_string()),
            Expected::Species => File("A + -> B @ k".to_string()),
            Expected::Stoichiometry => File("A + 4294967296 B -> C @ k".to_string()),
            Expected::SpeciesAfterStoichiometry => File("2 -> B @ k".to_string()),
            Expected::Operand => File("let x = a +".to_string()),
            Expected::Exponent => File("let x = a ^".to_string()),
            Expected::Atom => Expr(")".to_string()),
            Expected::Argument => File("let x = f(a, )".to_string()),
            Expected::CommaOrParen => File("let x = f(a b)".to_string()),
            Expected::Shallower => {
                File(format!("let x = {}a + b{}", "(".repeat(65), ")".repeat(65)))
            }
            Expected::Shorter => File(format!("let x = a{}", " + a".repeat(256))),
        })
    }

    fn first_error(input: &Input) -> Option<Diagnostic> {
        match input {
            Input::File(text) => parse(FileId(0), text).1.into_iter().next(),
            Input::Expr(text) => parse_expr(FileId(0), text).err(),
        }
    }

    #[test]
    fn every_expected_is_what_its_documented_input_meets() {
        for &e in ALL {
            let Some(input) = input(e) else { continue };
            let d = first_error(&input).unwrap_or_else(|| panic!("{e:?}: its input parses"));
            let label = match e.beyond_limit() {
                Some((message, label)) => {
                    assert_eq!(d.message, message, "{e:?}");
                    label.to_string()
                }
                None => format!("expected {}", e.message()),
            };
            assert_eq!(d.primary.map(|(_, l)| l), Some(label), "{e:?}");
            assert_eq!(d.help, Some(e.help()), "{e:?}");
        }
    }
}
