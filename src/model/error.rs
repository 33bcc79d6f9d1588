//! What the checker can find wrong, as data; the prose for each kind is written here
//! and nowhere else. Each variant's doc names an input that triggers it, and
//! tests/it/diagnostics.rs renders that input into a snapshot.

use crate::syntax::{Diagnostic, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum CheckError {
    /// `import "missing.pathway"` where no such file exists.
    ImportUnreadable {
        span: Span,
        path: String,
        reason: String,
    },
    /// A file saved as Latin-1: `# café` with `é` as the one byte `0xE9`.
    NotUtf8 { span: Span, byte: u8 },
    /// `a.pathway` imports `b.pathway`, which imports `a.pathway`.
    ImportCycle {
        span: Span,
        path: String,
        chain: Vec<String>,
    },
    /// `units time = min` in one file and `units time = s` in another.
    UnitsDisagree {
        span: Span,
        first: Span,
        dimension: &'static str,
    },
    /// `units time = uM`
    UnitsWrongDimension { span: Span, dimension: &'static str },
    /// `species A = 1 uM` twice, or a species and a parameter both named `A`.
    Duplicate {
        span: Span,
        first: Span,
        name: String,
    },
    /// Two reactions labelled `bind:`.
    DuplicateLabel {
        span: Span,
        first: Span,
        label: String,
    },
    /// `-> A @ kk` where only `k` exists.
    UnknownName {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// `hil(x, K, 2)`
    UnknownFunction {
        span: Span,
        name: String,
        suggestion: Option<String>,
    },
    /// `k(2)` where `k` is a parameter.
    NotAFunction {
        span: Span,
        name: String,
        kind: &'static str,
    },
    /// `hill(x, K)`
    WrongArity {
        span: Span,
        name: &'static str,
        expected: usize,
        found: usize,
    },
    /// `k -> B @ k2` where `k` is a parameter, or `species A = 1 in k`.
    WrongKind {
        span: Span,
        name: String,
        kind: &'static str,
        expected: &'static str,
    },
    /// `let a = b` and `let b = a`.
    LetCycle { span: Span, names: Vec<String> },
    /// `param k_on = k_off / IC50 in [1, 2]`: a derived parameter given a range.
    DerivedHasRange { span: Span, name: String },
    /// `param k_a = 2 * k_b` and `param k_b = k_a / 2`.
    DerivedCycle { span: Span, names: Vec<String> },
    /// `param k_on = k_off / IC50` where `IC50 = 0`.
    DerivedNotFinite {
        span: Span,
        name: String,
        value: f64,
        /// The values the formula reads, each as `` `name` = value ``.
        reads: Vec<String>,
    },
    /// `species A = 5 min`
    UnitMakesNoSense {
        span: Span,
        found: String,
        expected: &'static str,
    },
    /// `param k = 1 /min in [1, 2] uM`
    RangeUnitDisagrees {
        span: Span,
        value: String,
        range: String,
    },
    /// `param k = 5 in [1, 2]` or `in [3, 1]`.
    RangeInvalid { span: Span, reason: String },
    /// `species A = -1 uM`
    NegativeInitial { span: Span, name: String },
    /// `input drug = -1 uM`: an input that is a concentration cannot be below zero.
    NegativeInput { span: Span, name: String },
    /// `A -> @ -1 /min`, or `A -> @ k` with `param k = -1 /min`: mass action with a negative
    /// constant runs backwards and drives its reactants below zero. `param` names the
    /// parameter when the constant is one.
    NegativeRateConstant { span: Span, param: Option<String> },
    /// `compartment c = 0`
    BadCompartmentSize { span: Span, name: String },
    /// `compartment c = 2 uM`
    CompartmentUnit { span: Span },
    /// `A <-> B @ kf`
    ReversibleNeedsTwo { span: Span },
    /// `A -> B @ kf, kr`
    ForwardTakesOne { span: Span },
    /// `-> ; 1`
    EmptyReaction { span: Span },
    /// `2 A -> B @ k` is fine, but `0 A -> B @ k` is not.
    ZeroStoichiometry { span: Span },
    /// `let x = 1 uM + 2 min`, or `hill(Ca, 2 min, 1)`.
    DimensionsDisagree {
        span: Span,
        what: &'static str,
        left: String,
        right: String,
    },
    /// `exp(Ca)` where `Ca` is a species (a concentration).
    NotDimensionless {
        span: Span,
        func: &'static str,
        found: String,
    },
    /// `A + B -> C @ 0.1 /min` (order 2 needs per concentration per time), or
    /// `-> A ; 2 uM`.
    RateUnits {
        span: Span,
        found: String,
        expected: String,
        order: Option<i32>,
    },
    /// A parameter, input or compartment value that is not finite after conversion,
    /// such as `param k = 1e308 /s` in minutes.
    NotFinite { span: Span },
    /// `expect ket: fEPSP at 1 h > 110` where no experiment `ket` exists; also a
    /// genotype, readout, reaction label or pk input that is not there.
    Unknown {
        span: Span,
        what: &'static str,
        name: String,
        suggestion: Option<String>,
    },
    /// `experiment a extends b { … }` and `experiment b extends a { … }`.
    ExtendsCycle { span: Span, names: Vec<String> },
    /// An experiment with no `run T every Δ`, itself or inherited.
    NoRun { span: Span, name: String },
    /// `run 1e9 min every 1 min`: more output times than one run may have.
    TooManyPoints {
        span: Span,
        count: String,
        limit: usize,
    },
    /// `at 0 min every 1e-6 min for 10 min dose drug = 1 uM`: ten million events; also
    /// an experiment whose repeats add up to more than the limit.
    TooManyEvents {
        span: Span,
        count: String,
        limit: usize,
        experiment: Option<String>,
    },
    /// `at 30 min set drug = 1 uM` in an experiment that runs for 10 min, or a repeat
    /// `every 1 min for 20 min` whose last events fall after it.
    EventAfterRun {
        span: Span,
        run: Span,
        experiment: String,
        at: String,
        until: String,
        repeat: bool,
    },
    /// `at 5 min set drug = 1 uM; at 5 min set drug = 2 uM` in one experiment.
    ConflictingSets {
        span: Span,
        first: Span,
        name: String,
        at: String,
    },
    /// `at 30 set ketamine = 0 uM`: a time without a unit.
    TimeNeedsUnit { span: Span },
    /// `run 3 h every 0 min`, `at -5 min …`, `within -2`.
    BadValue { span: Span, reason: String },
    /// `expect ket: fEPSP at 1 h > 115 weight 0`: a weight not positive and finite.
    BadWeight { span: Span, value: String },
    /// `expect ket: fEPSP at 1 h > 115 margin -5`: a margin that would loosen the claim.
    NegativeMargin { span: Span },
    /// `expect ket: fEPSP at 1 h > 115 margin 5 min`: a margin in other units than the
    /// readout's.
    MarginUnit {
        span: Span,
        readout: String,
        readout_kind: String,
        found: String,
    },
    /// `at 0 h dose ketamine = 10 uM` with no `pk ketamine …`.
    NoPk { span: Span, name: String },
    /// `-> A ; k * baseline(A)`: baseline outside a readout.
    BaselineOutsideReadout { span: Span },
    /// `expect ket: fEPSP at 5 h > 110` where `ket` runs for 3 h.
    OutsideRun {
        span: Span,
        experiment: String,
        until: String,
    },
    /// `expect occlusion(ket, ket, fEPSP at 3 h) > 0.5`: an experiment with itself.
    OcclusionOfItself { span: Span, name: String },
    /// `at 0 min set drug = 1 /s` where `drug` is a concentration; also a genotype's
    /// `set k = 2 h` of a parameter in /min, and an expectation's `> 1 min` of a
    /// readout that is a concentration.
    ValueOfOtherKind {
        span: Span,
        kind: &'static str,
        name: Option<String>,
        expected: String,
        found: String,
        unit: Option<String>,
    },
    /// `expect e: level at 1 min > e: share at 1 min` where `level` is a
    /// concentration and `share` a plain number.
    ReadoutsDisagree {
        span: Span,
        left: String,
        left_kind: String,
        right: String,
        right_kind: String,
    },
    /// `pk drug absorption = 5 min, elimination = K` where `K` is a concentration.
    HalfLifeNotATime {
        span: Span,
        name: String,
        found: String,
    },
    /// `override param k = 2 /min` where no parameter `k` is declared anywhere, or
    /// `remove chain A -> B` where no such chain is asserted.
    NotInModel {
        span: Span,
        kind: &'static str,
        name: String,
        verb: &'static str,
        suggestion: Option<String>,
    },
    /// `remove species A` while a reaction or a let still reads `A`.
    RemoveStillUsed {
        span: Span,
        name: String,
        used: Span,
    },
}

impl CheckError {
    pub fn diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            ImportUnreadable { span, path, reason } => Diagnostic::error(
                format!("cannot read imported file `{path}`: {reason}"),
                *span,
                "imported here",
            )
            .with_help(format!(
                "import a regular file of at most {} MiB, by a path relative to the importing file's folder",
                crate::syntax::span::MAX_FILE_BYTES >> 20
            )),
            NotUtf8 { span, byte } => Diagnostic::error(
                format!("not UTF-8 text: byte `0x{byte:02X}` is invalid here"),
                *span,
                "not UTF-8",
            )
            .with_help(
                "save the file as UTF-8; convert text in another encoding, e.g. `iconv -f latin1 -t utf-8`",
            ),
            ImportCycle { span, path, chain } => Diagnostic::error(
                format!("import cycle: `{path}` is already being imported"),
                *span,
                "this import closes the cycle",
            )
            .with_help(format!(
                "the files import each other: {}; move what they share into a third file",
                chain.join(" → ")
            )),
            UnitsDisagree {
                span,
                first,
                dimension,
            } => Diagnostic::error(
                format!("the {dimension} unit is set twice, to different units"),
                *span,
                "set here",
            )
            .with_note(*first, "first set here")
            .with_help(
                "a model has one set of base units; make every `units` line agree or keep one",
            ),
            UnitsWrongDimension { span, dimension } => Diagnostic::error(
                format!("this is not a unit of {dimension}"),
                *span,
                format!("expected a unit of {dimension}"),
            )
            .with_help(if *dimension == "time" {
                "time units are s, min, h and d"
            } else {
                "concentration units are nM, uM (or µM), mM and M"
            }),
            Duplicate { span, first, name } => Diagnostic::error(
                format!("`{name}` is defined twice"),
                *span,
                "defined again here",
            )
            .with_note(*first, "first defined here")
            .with_help(
                "rename one of them; a name may be defined once across a file and its imports",
            ),
            DuplicateLabel { span, first, label } => Diagnostic::error(
                format!("two reactions are labelled `{label}`"),
                *span,
                "second label",
            )
            .with_note(*first, "first label")
            .with_help(
                "labels name reactions for genotypes and exports; give each a different one",
            ),
            UnknownName {
                span,
                name,
                suggestion,
            } => {
                let d = Diagnostic::error(format!("unknown name `{name}`"), *span, "not defined");
                match suggestion {
                    Some(s) => d.with_help(did_you_mean(name, s)),
                    None => d.with_help(format!(
                        "declare it first, e.g. `species {name} = 0 uM` or `param {name} = 1`; nothing is created implicitly"
                    )),
                }
            }
            UnknownFunction {
                span,
                name,
                suggestion,
            } => {
                let d = Diagnostic::error(
                    format!("unknown function `{name}`"),
                    *span,
                    "not a function",
                );
                match suggestion {
                    Some(s) => d.with_help(did_you_mean(name, s)),
                    None => d.with_help(
                        "the functions are hill, inhibit, mm, exp, ln, pow, min and max",
                    ),
                }
            }
            NotAFunction { span, name, kind } => Diagnostic::error(
                format!("`{name}` is a {kind}, not a function"),
                *span,
                "called here",
            )
            .with_help(format!("to multiply, write `{name} * (...)`")),
            WrongArity {
                span,
                name,
                expected,
                found,
            } => Diagnostic::error(
                format!(
                    "`{name}` takes {expected} argument{}, found {found}",
                    if *expected == 1 { "" } else { "s" }
                ),
                *span,
                format!("{found} argument{}", if *found == 1 { "" } else { "s" }),
            )
            .with_help(signature(name)),
            WrongKind {
                span,
                name,
                kind,
                expected,
            } => Diagnostic::error(
                format!("`{name}` is a {kind}, but {expected} is needed here"),
                *span,
                format!("expected {expected}"),
            )
            .with_help(match *expected {
                "a compartment" => {
                    "compartments are declared with `compartment name = size`".to_string()
                }
                "a species" => {
                    "reactions take species, declared with `species name = amount`".to_string()
                }
                "a species, an input or a let" => {
                    "a chain links quantities that change: species, inputs and lets".to_string()
                }
                _ => format!("use a name declared as {expected}"),
            }),
            LetCycle { span, names } => Diagnostic::error(
                format!(
                    "`{}` is defined in terms of itself",
                    names.first().map(String::as_str).unwrap_or("")
                ),
                *span,
                "part of a cycle",
            )
            .with_help(format!(
                "the definitions go round: {}; break the cycle with a species",
                names.join(" → ")
            )),
            DerivedHasRange { span, name } => Diagnostic::error(
                "a derived parameter has no range of its own; its values follow from those it is computed from",
                *span,
                format!("a range for `{name}`, which is a formula"),
            )
            .with_help(format!(
                "remove the range, or give `{name}` a value to make it free"
            )),
            DerivedCycle { span, names } => Diagnostic::error(
                format!(
                    "`{}` is derived from itself",
                    names.first().map(String::as_str).unwrap_or("")
                ),
                *span,
                "part of a cycle",
            )
            .with_help(format!(
                "the formulas go round: {}; give one of them a value of its own",
                names.join(" → ")
            )),
            DerivedNotFinite {
                span,
                name,
                value,
                reads,
            } => Diagnostic::error(
                format!("the formula of `{name}` gives {value}, not a finite number"),
                *span,
                if reads.is_empty() {
                    format!("{value} here")
                } else {
                    format!("{value} where {}", reads.join(", "))
                },
            )
            .with_help(
                "a formula is evaluated at the declared values; change the values it reads or the formula so it has a finite value",
            ),
            UnitMakesNoSense {
                span,
                found,
                expected,
            } => Diagnostic::error(
                format!("expected {expected}, found {found}"),
                *span,
                format!("this is {found}"),
            )
            .with_help(format!(
                "give a value in units of {expected}, or no unit to mean the model's base units"
            )),
            RangeUnitDisagrees { span, value, range } => Diagnostic::error(
                format!("the range is {range} but the value is {value}"),
                *span,
                "range unit",
            )
            .with_help("give the range in units of the same kind as the value"),
            RangeInvalid { span, reason } => {
                Diagnostic::error(format!("invalid range: {reason}"), *span, "this range")
                    .with_help("write `in [low, high]` with low ≤ value ≤ high")
            }
            NegativeInitial { span, name } => Diagnostic::error(
                format!("species `{name}` starts at a negative amount"),
                *span,
                "negative",
            )
            .with_help("concentrations are zero or more"),
            NegativeInput { span, name } => Diagnostic::error(
                format!("input `{name}` is negative"),
                *span,
                "negative",
            )
            .with_help("an input in a concentration unit is a level of zero or more"),
            NegativeRateConstant { span, param } => Diagnostic::error(
                match param {
                    Some(name) => format!("negative rate constant: `{name}` is below zero"),
                    None => "negative rate constant".to_string(),
                },
                *span,
                "negative",
            )
            .with_help(
                "a mass-action rate constant is zero or more; for a reaction that runs the \
                 other way, swap its sides, or write `<->` with a reverse constant",
            ),
            BadCompartmentSize { span, name } => Diagnostic::error(
                format!("compartment `{name}` must have a positive size"),
                *span,
                "not positive",
            )
            .with_help("sizes are relative volumes, e.g. `compartment spine = 0.08`"),
            CompartmentUnit { span } => Diagnostic::error(
                "compartment sizes take no unit",
                *span,
                "unit given here",
            )
            .with_help(
                "sizes are relative volumes (the default compartment has size 1); remove the unit",
            ),
            ReversibleNeedsTwo { span } => Diagnostic::error(
                "a reversible reaction needs a forward and a reverse rate constant",
                *span,
                "one rate constant",
            )
            .with_help("write `@ kf, kr`, or use `->` for an irreversible reaction"),
            ForwardTakesOne { span } => Diagnostic::error(
                "an irreversible reaction takes one rate constant",
                *span,
                "second rate constant",
            )
            .with_help("use `<->` to make it reversible, or drop the second constant"),
            EmptyReaction { span } => {
                Diagnostic::error("a reaction needs at least one species", *span, "no species")
                    .with_help("write e.g. `-> A ; rate` for synthesis of A")
            }
            ZeroStoichiometry { span } => {
                Diagnostic::error("a stoichiometry must be at least 1", *span, "zero")
                    .with_help("leave the species out of the reaction instead")
            }
            DimensionsDisagree { span, what, left, right } => {
                let message = match *what {
                    "subtract" => format!("cannot subtract {right} from {left}"),
                    "add" => format!("cannot add {left} and {right}"),
                    _ => format!("cannot compare {left} with {right}"),
                };
                Diagnostic::error(message, *span, "different kinds of quantity")
                    .with_help("give both operands units of the same kind, e.g. both concentrations")
            }
            NotDimensionless { span, func, found } => Diagnostic::error(
                format!("{func} must be a plain number, found {found}"),
                *span,
                format!("this is {found}"),
            )
            .with_help("divide by a constant of the same unit, e.g. `exp(-Ca / K)` with `K` in uM"),
            RateUnits { span, found, expected, order: None } => Diagnostic::error(
                format!("a rate law must be {expected}, found {found}"),
                *span,
                format!("this is {found}"),
            )
            .with_help("multiply by a rate constant with a unit such as `/min`, or check the units of its parameters"),
            RateUnits { span, found, expected, order: Some(order) } => Diagnostic::error(
                format!("the rate constant of a reaction of order {order} must be {expected}, found {found}"),
                *span,
                format!("this is {found}"),
            )
            .with_help(format!(
                "mass action multiplies the constant by each reactant's concentration{}; e.g. `/min` for order 1, `/uM/min` for order 2",
                if *order == 1 { "" } else { ", once per unit of stoichiometry" }
            )),
            Unknown {
                span,
                what,
                name,
                suggestion,
            } => {
                let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                let d = Diagnostic::error(
                    format!("no {what} is named `{name}`"),
                    *span,
                    format!("not {article} {what}"),
                );
                match suggestion {
                    Some(s) => d.with_help(did_you_mean(name, s)),
                    None => d.with_help(format!("define the {what} in this file or in a file it imports")),
                }
            }
            ExtendsCycle { span, names } => Diagnostic::error(
                "experiments extend each other in a cycle",
                *span,
                "this `extends` closes the cycle",
            )
            .with_help(format!(
                "the cycle is {}; an experiment must extend one that does not extend it back",
                names.join(" → ")
            )),
            NoRun { span, name } => Diagnostic::error(
                format!("experiment `{name}` does not say how long to run"),
                *span,
                "no `run` line here or in what it extends",
            )
            .with_help("add a line such as `run 3 h every 1 min`"),
            TooManyPoints { span, count, limit } => Diagnostic::error(
                format!("this run asks for {count} output times, more than the {limit} one run may have"),
                *span,
                format!("{count} output times"),
            )
            .with_help("choose a longer `every` or a shorter run"),
            TooManyEvents {
                span,
                count,
                limit,
                experiment,
            } => {
                let message = match experiment {
                    None => format!(
                        "this repeat makes {count} events, more than the {limit} one experiment may have"
                    ),
                    Some(e) => format!(
                        "experiment `{e}` has {count} events, more than the {limit} one experiment may have"
                    ),
                };
                Diagnostic::error(message, *span, format!("{count} events"))
                    .with_help("each event restarts the solver; repeat less often or for less long, or `set` a steady level instead of many doses")
            }
            EventAfterRun {
                span,
                run,
                experiment,
                at,
                until,
                repeat,
            } => {
                let message = if *repeat {
                    format!("this repeat's last event, at {at}, comes after experiment `{experiment}` ends at {until}")
                } else {
                    format!("this event at {at} comes after experiment `{experiment}` ends at {until}")
                };
                Diagnostic::error(message, *span, "after the end of the run")
                    .with_note(*run, format!("`{experiment}` ends here"))
                    .with_help(if *repeat {
                        format!("repeat for less long, or lengthen the `run` of `{experiment}`")
                    } else {
                        format!("move the event into the run, or lengthen the `run` of `{experiment}`")
                    })
            }
            ConflictingSets {
                span,
                first,
                name,
                at,
            } => Diagnostic::error(
                format!("`{name}` is set twice at {at}, to different values"),
                *span,
                "set again here",
            )
            .with_note(*first, "first set here")
            .with_help("keep one of the two `set`s; the input takes one value at a time"),
            TimeNeedsUnit { span } => Diagnostic::error(
                "a time needs a unit",
                *span,
                "no unit",
            )
            .with_help("write the unit after the number, e.g. `30 min`, `2 h` or `7 d`"),
            BadValue { span, reason } => Diagnostic::error(
                reason.clone(),
                *span,
                "not allowed here",
            )
            .with_help("times are zero or later, intervals and durations are positive, tolerances are not negative"),
            BadWeight { span, value } => Diagnostic::error(
                format!("weight `{value}` is not a positive number"),
                *span,
                "not a weight",
            )
            .with_help("a weight is how much the expectation counts in a fit: write a positive number such as `weight 2`, or leave it out for 1"),
            NegativeMargin { span } => Diagnostic::error(
                "a margin cannot be negative",
                *span,
                "negative margin",
            )
            .with_help("a margin is the room a fit asks for beyond the claim: write 0 or more, e.g. `margin 5%`, or leave it out"),
            MarginUnit {
                span,
                readout,
                readout_kind,
                found,
            } => Diagnostic::error(
                format!("margin is {found} but `{readout}` is {readout_kind}"),
                *span,
                "margin here",
            )
            .with_help(format!(
                "write the margin in the units of `{readout}`, or as a percent of the target, e.g. `margin 5%`"
            )),
            NoPk { span, name } => Diagnostic::error(
                format!("`{name}` is dosed but has no pharmacokinetics"),
                *span,
                "dosed here",
            )
            .with_help(format!(
                "declare its half-lives, e.g. `pk {name} absorption = 5 min, elimination = 30 min`, or use `set` for a bath concentration"
            )),
            BaselineOutsideReadout { span } => Diagnostic::error(
                "`baseline` can be used only in a readout",
                *span,
                "used here",
            )
            .with_help("baseline(x) is x at the start of an experiment; define a `readout` that uses it"),
            OutsideRun {
                span,
                experiment,
                until,
            } => Diagnostic::error(
                format!("experiment `{experiment}` ends at {until}, before this time"),
                *span,
                "after the end of the run",
            )
            .with_help(format!("lengthen the `run` of `{experiment}` or ask about an earlier time")),
            OcclusionOfItself { span, name } => Diagnostic::error(
                format!("an occlusion of `{name}` by itself says nothing"),
                *span,
                "the same experiment again",
            )
            .with_help(format!(
                "an experiment run twice always occludes itself; name two experiments that apply different drugs, e.g. `occlusion({name}, other, …)`"
            )),
            ValueOfOtherKind {
                span,
                kind,
                name,
                expected,
                found,
                unit,
            } => {
                let target = match name {
                    Some(n) => format!("{kind} `{n}`"),
                    None => kind.to_string(),
                };
                Diagnostic::error(
                    format!("{target} is {expected}, but this value is {found}"),
                    *span,
                    format!("this is {found}"),
                )
                .with_help(match unit {
                    Some(u) => format!(
                        "write the value in `{u}` or another unit of the same kind, or without a unit to mean the model's base units"
                    ),
                    None if expected == "a plain number" => "write the value without a unit".to_string(),
                    None => format!(
                        "write the value in a unit of {expected}, or without a unit to mean the model's base units"
                    ),
                })
            }
            ReadoutsDisagree {
                span,
                left,
                left_kind,
                right,
                right_kind,
            } => Diagnostic::error(
                format!("cannot compare readout `{left}`, {left_kind}, with readout `{right}`, {right_kind}"),
                *span,
                format!("this is {right_kind}"),
            )
            .with_help("compare readouts of one kind, e.g. both in percent of their baseline"),
            HalfLifeNotATime { span, name, found } => Diagnostic::error(
                format!("a half-life must be a time, but `{name}` is {found}"),
                *span,
                format!("this is {found}"),
            )
            .with_help("name a parameter declared in a unit of time, e.g. `param t_half = 15 min`, or write the time itself"),
            NotInModel {
                span,
                kind,
                name,
                verb,
                suggestion,
            } => {
                let d = Diagnostic::error(
                    format!("there is no {kind} `{name}` to {verb}"),
                    *span,
                    "not in the model",
                );
                match (suggestion, *verb) {
                    (Some(s), _) => d.with_help(did_you_mean(name, s)),
                    (None, "override") => d.with_help(
                        "`override` replaces a declaration from this file or an import; to add a new one, drop `override`",
                    ),
                    (None, _) => d.with_help(
                        "a chain is removed by its exact names and signs, as the base model writes it",
                    ),
                }
            }
            RemoveStillUsed { span, name, used } => Diagnostic::error(
                format!("species `{name}` is removed but still used"),
                *span,
                "removed here",
            )
            .with_note(*used, "still used here")
            .with_help("remove or override what uses it too; a removed species takes along only the reactions that touch nothing else"),
            NotFinite { span } => Diagnostic::error(
                "this value is not a finite number in base units",
                *span,
                "overflows",
            )
            .with_help("use a smaller value or a unit closer to the model's base units"),
        }
    }
}

fn signature(name: &str) -> String {
    match name {
        "hill" => "hill(x, K, n) = xⁿ / (Kⁿ + xⁿ)".to_string(),
        "inhibit" => "inhibit(x, IC50, n) = 1 / (1 + (x / IC50)ⁿ)".to_string(),
        "mm" => "mm(S, Vmax, Km) = Vmax·S / (Km + S)".to_string(),
        "pow" => "pow(base, exponent)".to_string(),
        "min" | "max" => format!("{name}(a, b)"),
        _ => format!("{name}(x)"),
    }
}

/// "did you mean `Ca²⁺`?", naming the letters of other scripts when look-alikes are
/// all that tell the written name from the suggestion: they are invisible otherwise.
fn did_you_mean(written: &str, suggested: &str) -> String {
    let alikes = crate::model::check::look_alikes_in(written, suggested);
    let mut help = format!("did you mean `{suggested}`?");
    for (k, c) in alikes.iter().enumerate() {
        let sep = if k == 0 { " " } else { ", " };
        let script = crate::model::check::script(*c);
        help.push_str(&format!(
            "{sep}`{c}` here is {script} (U+{:04X})",
            *c as u32
        ));
    }
    help
}
