//! Stage 2, model: parsed files in, a checked `Model` out.
//!
//! Follows imports (through a `Loader`, so this stage does no I/O of its own), resolves
//! every name to an id, converts every literal to the model's base units, expands mass
//! action into rate expressions, and reports every problem it finds, not just the
//! first. Nothing is created implicitly: an unknown name is an error.

mod check;
mod derive;
mod dims;
mod error;
pub mod expr;
mod load;
pub mod protocol;
pub mod units;

pub use check::{MAX_COMPARED_CHARS, SUGGESTION_BUDGET, Suggestions, check};
pub use derive::NotFiniteDerived;
pub use error::CheckError;
pub use expr::{Expr, Func, Var};
pub(crate) use load::normalize;
pub use load::{Loaded, Loader, decode, load, load_str};
pub use protocol::{Expectation, Experiment, Genotype, Pk, Readout};
pub use units::{BaseUnits, Dim};

use crate::syntax::Span;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id_type! {
    /// Index into `Model::species`; also the species' place in the state vector.
    SpeciesId;
    /// Index into `Model::params`.
    ParamId;
    /// Index into `Model::inputs`.
    InputId;
    /// Index into `Model::lets`.
    LetId;
    /// Index into `Model::compartments`; 0 is the default compartment.
    CompartmentId;
    /// Index into `Model::reactions`.
    ReactionId;
    /// Index into `Model::genotypes`.
    GenotypeId;
    /// Index into `Model::readouts`.
    ReadoutId;
    /// Index into `Model::experiments`.
    ExperimentId;
    /// Index into `Model::expectations`.
    ExpectationId;
}

impl Model {
    /// The experiment called `name`, if the model has one.
    pub fn experiment_named(&self, name: &str) -> Option<ExperimentId> {
        let k = self.experiments.iter().position(|e| e.name == name)?;
        Some(ExperimentId(k as u32))
    }

    /// The readout called `name`, if the model has one.
    pub fn readout_named(&self, name: &str) -> Option<ReadoutId> {
        let k = self.readouts.iter().position(|r| r.name == name)?;
        Some(ReadoutId(k as u32))
    }

    /// The genotype called `name`, if the model has one.
    pub fn genotype_named(&self, name: &str) -> Option<GenotypeId> {
        let k = self.genotypes.iter().position(|g| g.name == name)?;
        Some(GenotypeId(k as u32))
    }
}

/// `model.experiments[id]` and the like: each list of the model indexed by its own id
/// type, so an experiment's index cannot be used for a readout.
macro_rules! indexed_by {
    ($($id:ident => $item:ty;)*) => {$(
        impl std::ops::Index<$id> for Vec<$item> {
            type Output = $item;
            fn index(&self, id: $id) -> &$item {
                &self[id.index()]
            }
        }
    )*};
}

indexed_by! {
    GenotypeId => Genotype;
    ReadoutId => Readout;
    ExperimentId => Experiment;
    ExpectationId => Expectation;
}

/// A checked model: every name resolved, every value in base units. Made by `check`,
/// read by the network and ode stages; never changed after it is made.
#[derive(Clone, Debug)]
pub struct Model {
    pub units: BaseUnits,
    pub compartments: Vec<Compartment>,
    pub species: Vec<Species>,
    pub params: Vec<Param>,
    pub inputs: Vec<Input>,
    /// In the order they can be evaluated: each reads only lets before it.
    pub lets: Vec<Let>,
    pub reactions: Vec<Reaction>,
    pub chains: Vec<Chain>,
    pub pks: Vec<Pk>,
    pub genotypes: Vec<Genotype>,
    /// In the order they can be evaluated: each reads only readouts before it.
    pub readouts: Vec<Readout>,
    /// The arguments of every `baseline(...)` in the readouts.
    pub baselines: Vec<Expr>,
    pub experiments: Vec<Experiment>,
    pub expectations: Vec<Expectation>,
    /// The derived parameters and the lets, in an order each can be evaluated in: each
    /// after every derived parameter and let it reads (`Var::Param` or `Var::Let`).
    pub derivation: Vec<Var>,
}

/// A derived parameter's formula, with where it is written.
#[derive(Clone, Debug)]
pub struct Derived {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Compartment {
    pub name: String,
    pub size: f64,
    /// `None` for the default compartment, which no file declares.
    pub span: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Species {
    pub name: String,
    pub initial: f64,
    pub compartment: CompartmentId,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// In base units; a derived parameter's is its formula's value (see `Model::derive`).
    pub value: f64,
    /// The formula of a derived parameter; `None` for a free one.
    pub formula: Option<Derived>,
    /// Plausible range in base units, as written after `in`; a derived parameter has none.
    pub range: Option<(f64, f64)>,
    /// The source, or why the value is an assumption.
    pub note: Option<String>,
    pub dim: Option<Dim>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub value: f64,
    pub dim: Option<Dim>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Let {
    pub name: String,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kinetics {
    MassAction,
    Explicit,
}

#[derive(Clone, Debug)]
pub struct Reaction {
    pub label: Option<String>,
    pub reactants: Vec<(SpeciesId, u32)>,
    pub products: Vec<(SpeciesId, u32)>,
    pub reversible: bool,
    pub kinetics: Kinetics,
    /// Forward rate in concentration per time, in the reaction's compartment.
    pub forward: Expr,
    /// Reverse rate of a reversible mass-action reaction; the net rate is
    /// `forward − reverse`.
    pub reverse: Option<Expr>,
    /// Where the reaction happens: its first reactant's compartment (or first
    /// product's). Rates are per volume of this compartment.
    pub compartment: CompartmentId,
    pub span: Span,
}

impl Reaction {
    /// The net rate, `forward − reverse`.
    pub fn rate(&self) -> Expr {
        match &self.reverse {
            Some(r) => expr::sub(self.forward.clone(), r.clone()),
            None => self.forward.clone(),
        }
    }

    /// A name for messages: the label, or the reaction's index.
    pub fn display_name(&self, index: usize) -> String {
        match &self.label {
            Some(l) => l.clone(),
            None => format!("reaction {}", index + 1),
        }
    }
}

/// A chain assertion kept for the network stage to check.
#[derive(Clone, Debug)]
pub struct Chain {
    pub first: (Var, Span),
    pub links: Vec<ChainLink>,
}

#[derive(Clone, Debug)]
pub struct ChainLink {
    pub inhibits: bool,
    pub sign_span: Span,
    pub target: (Var, Span),
}

impl Model {
    pub fn var_name(&self, v: Var) -> &str {
        match v {
            Var::Species(id) => &self.species[id.index()].name,
            Var::Param(id) => &self.params[id.index()].name,
            Var::Input(id) => &self.inputs[id.index()].name,
            Var::Let(id) => &self.lets[id.index()].name,
            Var::Compartment(id) => &self.compartments[id.index()].name,
            Var::Readout(k) => &self.readouts[k as usize].name,
            Var::Baseline(_) => "baseline",
        }
    }

    /// An expression with names, for reports and diffs: `k_on * BDNF * TrkB`.
    /// Operands are parenthesised when they bind more loosely than their operator.
    pub fn show_expr(&self, e: &Expr) -> String {
        fn prec(e: &Expr) -> u8 {
            match e {
                Expr::Add(..) | Expr::Sub(..) => 1,
                Expr::Mul(..) | Expr::Div(..) => 2,
                Expr::Neg(_) => 3,
                Expr::Pow(..) => 4,
                _ => 5,
            }
        }
        let wrap = |inner: &Expr, min: u8| {
            let text = self.show_expr(inner);
            if prec(inner) < min {
                format!("({text})")
            } else {
                text
            }
        };
        match e {
            Expr::Num(x) => {
                let shown: f64 = format!("{x:.5e}").parse().unwrap_or(*x);
                shown.to_string()
            }
            Expr::Var(v) => self.var_name(*v).to_string(),
            Expr::Neg(a) => format!("-{}", wrap(a, 3)),
            Expr::Add(a, b) => format!("{} + {}", wrap(a, 1), wrap(b, 2)),
            Expr::Sub(a, b) => format!("{} - {}", wrap(a, 1), wrap(b, 2)),
            Expr::Mul(a, b) => format!("{} * {}", wrap(a, 2), wrap(b, 3)),
            Expr::Div(a, b) => format!("{} / {}", wrap(a, 2), wrap(b, 3)),
            Expr::Pow(a, b) => format!("{}^{}", wrap(a, 5), wrap(b, 4)),
            Expr::Call(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.show_expr(a)).collect();
                format!("{}({})", f.name(), args.join(", "))
            }
        }
    }

    /// Values of lets at a state, in evaluation order.
    pub fn let_values(&self, species: &[f64], inputs: &[f64]) -> Vec<f64> {
        let mut lets = Vec::with_capacity(self.lets.len());
        for l in &self.lets {
            let v = l.expr.eval(&|v| self.value_of(v, species, inputs, &lets));
            lets.push(v);
        }
        lets
    }

    /// The value of a variable given species, input and (already computed) let values.
    pub fn value_of(&self, v: Var, species: &[f64], inputs: &[f64], lets: &[f64]) -> f64 {
        match v {
            Var::Species(id) => species.get(id.index()).copied().unwrap_or(f64::NAN),
            Var::Param(id) => self.params[id.index()].value,
            Var::Input(id) => inputs.get(id.index()).copied().unwrap_or(f64::NAN),
            Var::Let(id) => lets.get(id.index()).copied().unwrap_or(f64::NAN),
            Var::Compartment(id) => self.compartments[id.index()].size,
            // Readouts are evaluated by the experiment stage, which knows the run.
            Var::Readout(_) | Var::Baseline(_) => f64::NAN,
        }
    }

    pub fn initial_state(&self) -> Vec<f64> {
        self.species.iter().map(|s| s.initial).collect()
    }

    pub fn input_values(&self) -> Vec<f64> {
        self.inputs.iter().map(|i| i.value).collect()
    }

    pub fn find(&self, name: &str) -> Option<Var> {
        fn pos<'a>(mut names: impl Iterator<Item = &'a str>, name: &str) -> Option<u32> {
            names.position(|n| n == name).map(|i| i as u32)
        }
        if let Some(i) = pos(self.species.iter().map(|s| s.name.as_str()), name) {
            return Some(Var::Species(SpeciesId(i)));
        }
        if let Some(i) = pos(self.params.iter().map(|s| s.name.as_str()), name) {
            return Some(Var::Param(ParamId(i)));
        }
        if let Some(i) = pos(self.inputs.iter().map(|s| s.name.as_str()), name) {
            return Some(Var::Input(InputId(i)));
        }
        if let Some(i) = pos(self.lets.iter().map(|s| s.name.as_str()), name) {
            return Some(Var::Let(LetId(i)));
        }
        pos(self.compartments.iter().map(|s| s.name.as_str()), name)
            .map(|i| Var::Compartment(CompartmentId(i)))
    }
}
