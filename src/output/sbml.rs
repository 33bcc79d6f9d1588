//! SBML Level 3 Version 2 export: compartments, species with concentration
//! semantics, parameters, reactions with kinetic laws, lets as assignment rules and an
//! experiment's schedule as events, in function-free MathML, and derived parameters as
//! initial assignments of their formulas. Written with quick-xml.
//! A dosed input is its bath level plus a one-compartment first-order model: a depot
//! that each dose fills (an event) and that empties at ka into the input, which loses
//! it at ke; the same Bateman curve pathrules adds, written as rate rules.
//!
//! Names become valid SBML ids (`Ca²⁺` → `Ca2p`, `eEF2~P` → `eEF2_P`,
//! `RARα` → `RARalpha`), the original kept as the `name` attribute.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::experiment::{Dose, Prepared, Step};
use crate::model::expr::{Expr, Func, Var};
use crate::model::units::BaseUnits;
use crate::model::{GenotypeId, Model, ReactionId};
use crate::ode::System;
use crate::syntax::ast::UnitAtom;

/// What to export besides the model itself: the state and parameter values to start
/// from (a genotype's, a steady state), the reactions left out, and an experiment's
/// steps and doses.
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// The model's id and name.
    pub name: String,
    /// Parameter values, in model order.
    pub params: Vec<f64>,
    /// Initial concentrations, in model order.
    pub initial: Vec<f64>,
    /// Input values at the start, in model order.
    pub inputs: Vec<f64>,
    /// Indices of reactions not exported (a genotype's disabled ones).
    pub disabled: Vec<ReactionId>,
    /// An input set to a value at a time.
    pub steps: Vec<Step>,
    /// A first-order dose.
    pub doses: Vec<Dose>,
}

impl Setup {
    /// The model under `genotype` (`None`: the wild type) of `model`, compiled as
    /// `system`: the genotype's parameters, without its disabled reactions, from the
    /// declared initial state.
    pub fn for_genotype(
        name: String,
        model: &Model,
        system: &System,
        genotype: Option<GenotypeId>,
    ) -> Setup {
        let sys = crate::experiment::genotype_system(model, system, genotype);
        Setup {
            name,
            params: sys.params.clone(),
            initial: sys.initial.clone(),
            inputs: sys.inputs.clone(),
            disabled: disabled(model, genotype),
            steps: Vec::new(),
            doses: Vec::new(),
        }
    }

    /// An experiment of genotype `genotype`, as [`crate::experiment::prepare`] set it up:
    /// its steady state (or initial values) as the initial state, its steps as events and
    /// its doses as rules of time.
    pub fn for_experiment(
        name: String,
        model: &Model,
        genotype: Option<GenotypeId>,
        prepared: &Prepared,
    ) -> Setup {
        let Prepared {
            system,
            initial,
            protocol,
        } = prepared;
        let mut inputs = protocol.inputs_at(system, 0.0);
        // Doses are rules of time, so the bath level at the start excludes them.
        for d in protocol.doses() {
            if d.time <= 0.0 {
                inputs[d.input.index()] -= d.level(0.0);
            }
        }
        Setup {
            name,
            params: system.params.clone(),
            initial: initial.clone(),
            inputs,
            disabled: disabled(model, genotype),
            steps: protocol.steps().to_vec(),
            doses: protocol.doses().to_vec(),
        }
    }
}

/// The reactions genotype `genotype` disables.
fn disabled(model: &Model, genotype: Option<GenotypeId>) -> Vec<ReactionId> {
    genotype
        .and_then(|g| model.genotypes.get(g.index()))
        .map(|g| g.disabled.clone())
        .unwrap_or_default()
}

const MATHML: &str = "http://www.w3.org/1998/Math/MathML";
const TIME: &str = "http://www.sbml.org/sbml/symbols/time";

/// The model as an SBML L3V2 document.
pub fn write(model: &Model, setup: &Setup) -> String {
    let ids = Ids::new(model);
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    // Writing to memory cannot fail.
    let _ = document(&mut w, model, setup, &ids);
    let mut text = String::from_utf8(w.into_inner().into_inner()).unwrap_or_default();
    text.push('\n');
    text
}

type W = Writer<Cursor<Vec<u8>>>;
type R = std::io::Result<()>;

fn document(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let id = sid(&setup.name);
    let units = model.units;
    w.create_element("sbml")
        .with_attributes([
            ("xmlns", "http://www.sbml.org/sbml/level3/version2/core"),
            ("level", "3"),
            ("version", "2"),
        ])
        .write_inner_content(|w| {
            w.create_element("model")
                .with_attributes([
                    ("id", id.as_str()),
                    ("name", setup.name.as_str()),
                    ("timeUnits", "time_unit"),
                    ("substanceUnits", "substance_unit"),
                    ("extentUnits", "substance_unit"),
                    ("volumeUnits", "litre"),
                ])
                .write_inner_content(|w| {
                    unit_definitions(w, &units)?;
                    compartments(w, model, ids)?;
                    species(w, model, setup, ids)?;
                    parameters(w, model, setup, ids)?;
                    initial_assignments(w, model, setup, ids)?;
                    rules(w, model, setup, ids)?;
                    reactions(w, model, setup, ids)?;
                    events(w, setup, ids)?;
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn unit_definitions(w: &mut W, units: &BaseUnits) -> R {
    let (time_scale, time_multiplier) = match units.time {
        UnitAtom::Minute => (0, 60.0),
        UnitAtom::Hour => (0, 3600.0),
        UnitAtom::Day => (0, 86400.0),
        _ => (0, 1.0),
    };
    let substance_scale = match units.concentration {
        UnitAtom::NanoMolar => -9,
        UnitAtom::MicroMolar => -6,
        UnitAtom::MilliMolar => -3,
        _ => 0,
    };
    w.create_element("listOfUnitDefinitions")
        .write_inner_content(|w| {
            unit(w, "time_unit", "second", time_scale, time_multiplier)?;
            // A concentration of 1 base unit in a compartment of 1 litre.
            unit(w, "substance_unit", "mole", substance_scale, 1.0)?;
            Ok(())
        })?;
    Ok(())
}

fn unit(w: &mut W, id: &str, kind: &str, scale: i32, multiplier: f64) -> R {
    let scale = scale.to_string();
    let multiplier = num(multiplier);
    w.create_element("unitDefinition")
        .with_attribute(("id", id))
        .write_inner_content(|w| {
            w.create_element("listOfUnits").write_inner_content(|w| {
                w.create_element("unit")
                    .with_attributes([
                        ("kind", kind),
                        ("exponent", "1"),
                        ("scale", scale.as_str()),
                        ("multiplier", multiplier.as_str()),
                    ])
                    .write_empty()?;
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(())
}

fn compartments(w: &mut W, model: &Model, ids: &Ids) -> R {
    w.create_element("listOfCompartments")
        .write_inner_content(|w| {
            for (k, c) in model.compartments.iter().enumerate() {
                let size = num(c.size);
                w.create_element("compartment")
                    .with_attributes([
                        ("id", ids.compartments[k].as_str()),
                        ("name", c.name.as_str()),
                        ("spatialDimensions", "3"),
                        ("size", size.as_str()),
                        ("units", "litre"),
                        ("constant", "true"),
                    ])
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn species(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    w.create_element("listOfSpecies").write_inner_content(|w| {
        for (k, s) in model.species.iter().enumerate() {
            let initial = num(setup.initial.get(k).copied().unwrap_or(s.initial));
            w.create_element("species")
                .with_attributes([
                    ("id", ids.species[k].as_str()),
                    ("name", s.name.as_str()),
                    (
                        "compartment",
                        ids.compartments[s.compartment.index()].as_str(),
                    ),
                    ("initialConcentration", initial.as_str()),
                    ("hasOnlySubstanceUnits", "false"),
                    ("boundaryCondition", "false"),
                    ("constant", "false"),
                ])
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Parameters, inputs (a dosed input is a rule of its bath parameter and its doses),
/// and a parameter for each let, which a rule defines.
fn parameters(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    let stepped = |i: usize| setup.steps.iter().any(|s| s.input.index() == i);
    let dosed = |i: usize| setup.doses.iter().any(|d| d.input.index() == i);
    w.create_element("listOfParameters")
        .write_inner_content(|w| {
            for (k, p) in model.params.iter().enumerate() {
                let value = num(setup.params.get(k).copied().unwrap_or(p.value));
                param(w, &ids.params[k], &p.name, Some(&value), true)?;
            }
            for (k, i) in model.inputs.iter().enumerate() {
                let value = num(setup.inputs.get(k).copied().unwrap_or(i.value));
                if dosed(k) {
                    // The bath level the steps set; the input itself is a rule: bath plus
                    // what the first-order absorption (depot) and elimination (dosed) of
                    // the doses put there.
                    param(
                        w,
                        &ids.bath(k),
                        &format!("{} (bath)", i.name),
                        Some(&value),
                        !stepped(k),
                    )?;
                    let at_start: f64 = setup
                        .doses
                        .iter()
                        .filter(|d| d.input.index() == k && d.time <= 0.0)
                        .map(|d| d.amount)
                        .sum();
                    let depot = num(at_start);
                    param(
                        w,
                        &ids.depot(k),
                        &format!("{} (depot)", i.name),
                        Some(&depot),
                        false,
                    )?;
                    param(
                        w,
                        &ids.dosed(k),
                        &format!("{} (dosed)", i.name),
                        Some("0"),
                        false,
                    )?;
                    param(w, &ids.inputs[k], &i.name, None, false)?;
                } else {
                    param(w, &ids.inputs[k], &i.name, Some(&value), !stepped(k))?;
                }
            }
            for (k, l) in model.lets.iter().enumerate() {
                param(w, &ids.lets[k], &l.name, None, false)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// Each derived parameter as an initial assignment of its formula, so SBML tools
/// compute it again from the parameters it reads. A formula reads species, inputs and
/// lets at their declared values, and the document may start elsewhere (a steady
/// state), so those are written as the numbers they are (lets inlined). A parameter the
/// setup changed (a genotype's `set`) is read at its base value, since derived values
/// are the base set's; a derived parameter the setup changed itself keeps its value.
fn initial_assignments(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    let changed = |k: usize| {
        setup
            .params
            .get(k)
            .is_some_and(|&v| v.to_bits() != model.params[k].value.to_bits())
    };
    let lets: Vec<Expr> = model.lets.iter().map(|l| l.expr.clone()).collect();
    let species = model.initial_state();
    let inputs = model.input_values();
    let declared = |v: Var| match v {
        Var::Species(s) => species.get(s.index()).map(|&x| Expr::Num(x)),
        Var::Input(i) => inputs.get(i.index()).map(|&x| Expr::Num(x)),
        Var::Param(p) if changed(p.index()) => Some(Expr::Num(model.params[p.index()].value)),
        _ => None,
    };
    let assigned: Vec<(usize, Expr)> = model
        .derived_params()
        .filter(|id| !changed(id.index()))
        .filter_map(|id| {
            let formula = model.params[id.index()].formula.as_ref()?;
            Some((
                id.index(),
                formula.expr.inline_lets(&lets).map_vars(&declared),
            ))
        })
        .collect();
    if assigned.is_empty() {
        return Ok(());
    }
    w.create_element("listOfInitialAssignments")
        .write_inner_content(|w| {
            for (k, e) in &assigned {
                w.create_element("initialAssignment")
                    .with_attribute(("symbol", ids.params[*k].as_str()))
                    .write_inner_content(|w| math(w, |w| mathml(w, e, ids)))?;
            }
            Ok(())
        })?;
    Ok(())
}

fn param(w: &mut W, id: &str, name: &str, value: Option<&str>, constant: bool) -> R {
    let mut el = w
        .create_element("parameter")
        .with_attributes([("id", id), ("name", name)]);
    if let Some(v) = value {
        el = el.with_attribute(("value", v));
    }
    el.with_attribute(("constant", if constant { "true" } else { "false" }))
        .write_empty()?;
    Ok(())
}

fn rules(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    let dosed: Vec<usize> = (0..model.inputs.len())
        .filter(|&i| setup.doses.iter().any(|d| d.input.index() == i))
        .collect();
    if model.lets.is_empty() && dosed.is_empty() {
        return Ok(());
    }
    w.create_element("listOfRules").write_inner_content(|w| {
        for &i in &dosed {
            // ka and ke are the same for every dose of one input.
            let Some(&Dose { ka, ke, .. }) = setup.doses.iter().find(|d| d.input.index() == i)
            else {
                continue;
            };
            w.create_element("assignmentRule")
                .with_attribute(("variable", ids.inputs[i].as_str()))
                .write_inner_content(|w| {
                    math(w, |w| {
                        apply(w, "plus", |w| {
                            ci(w, &ids.bath(i))?;
                            ci(w, &ids.dosed(i))
                        })
                    })
                })?;
            w.create_element("rateRule")
                .with_attribute(("variable", ids.depot(i).as_str()))
                .write_inner_content(|w| {
                    math(w, |w| {
                        apply(w, "times", |w| {
                            cn(w, -ka)?;
                            ci(w, &ids.depot(i))
                        })
                    })
                })?;
            w.create_element("rateRule")
                .with_attribute(("variable", ids.dosed(i).as_str()))
                .write_inner_content(|w| {
                    math(w, |w| {
                        apply(w, "minus", |w| {
                            apply(w, "times", |w| {
                                cn(w, ka)?;
                                ci(w, &ids.depot(i))
                            })?;
                            apply(w, "times", |w| {
                                cn(w, ke)?;
                                ci(w, &ids.dosed(i))
                            })
                        })
                    })
                })?;
        }
        for (k, l) in model.lets.iter().enumerate() {
            w.create_element("assignmentRule")
                .with_attribute(("variable", ids.lets[k].as_str()))
                .write_inner_content(|w| math(w, |w| mathml(w, &l.expr, ids)))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn reactions(w: &mut W, model: &Model, setup: &Setup, ids: &Ids) -> R {
    w.create_element("listOfReactions")
        .write_inner_content(|w| {
            for (k, r) in model.reactions.iter().enumerate() {
                if setup.disabled.contains(&ReactionId(k as u32)) {
                    continue;
                }
                let name = r.display_name(k);
                let reversible = if r.reversible { "true" } else { "false" };
                w.create_element("reaction")
                    .with_attributes([
                        ("id", ids.reactions[k].as_str()),
                        ("name", name.as_str()),
                        ("reversible", reversible),
                        (
                            "compartment",
                            ids.compartments[r.compartment.index()].as_str(),
                        ),
                    ])
                    .write_inner_content(|w| {
                        for (list, side) in [
                            ("listOfReactants", &r.reactants),
                            ("listOfProducts", &r.products),
                        ] {
                            if side.is_empty() {
                                continue;
                            }
                            w.create_element(list).write_inner_content(|w| {
                                for &(s, n) in side.iter() {
                                    let n = n.to_string();
                                    w.create_element("speciesReference")
                                        .with_attributes([
                                            ("species", ids.species[s.index()].as_str()),
                                            ("stoichiometry", n.as_str()),
                                            ("constant", "true"),
                                        ])
                                        .write_empty()?;
                                }
                                Ok(())
                            })?;
                        }
                        // Species the rate law reads without reacting them.
                        let modifiers: Vec<usize> = r
                            .rate()
                            .vars()
                            .into_iter()
                            .filter_map(|v| match v {
                                Var::Species(s) => Some(s),
                                _ => None,
                            })
                            .filter(|s| !r.reactants.iter().chain(&r.products).any(|(x, _)| x == s))
                            .map(|s| s.index())
                            .collect();
                        if !modifiers.is_empty() {
                            w.create_element("listOfModifiers")
                                .write_inner_content(|w| {
                                    for &s in &modifiers {
                                        w.create_element("modifierSpeciesReference")
                                            .with_attribute(("species", ids.species[s].as_str()))
                                            .write_empty()?;
                                    }
                                    Ok(())
                                })?;
                        }
                        // Extent per time: the rate (concentration per time in the
                        // reaction's compartment) times that compartment's size.
                        w.create_element("kineticLaw").write_inner_content(|w| {
                            math(w, |w| {
                                apply(w, "times", |w| {
                                    ci(w, &ids.compartments[r.compartment.index()])?;
                                    mathml(w, &r.rate(), ids)
                                })
                            })
                        })?;
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn events(w: &mut W, setup: &Setup, ids: &Ids) -> R {
    let steps: Vec<&Step> = setup.steps.iter().filter(|s| s.time > 0.0).collect();
    let doses: Vec<&Dose> = setup.doses.iter().filter(|d| d.time > 0.0).collect();
    if steps.is_empty() && doses.is_empty() {
        return Ok(());
    }
    w.create_element("listOfEvents").write_inner_content(|w| {
        for (
            k,
            &&Dose {
                time: t,
                input,
                amount,
                ..
            },
        ) in doses.iter().enumerate()
        {
            let id = format!("dose_{}", k + 1);
            let depot = ids.depot(input.index());
            event(w, &id, t, &depot, |w| {
                apply(w, "plus", |w| {
                    ci(w, &depot)?;
                    cn(w, amount)
                })
            })?;
        }
        // Which inputs are dosed, found once: asked per step, it made an export of many
        // steps and doses take time that grows with their product.
        let mut dosed = vec![false; ids.inputs.len()];
        for d in &setup.doses {
            if let Some(slot) = dosed.get_mut(d.input.index()) {
                *slot = true;
            }
        }
        for (
            k,
            &&Step {
                time: t,
                input,
                value,
            },
        ) in steps.iter().enumerate()
        {
            let id = format!("step_{}", k + 1);
            let target = if dosed.get(input.index()).copied().unwrap_or(false) {
                ids.bath(input.index())
            } else {
                ids.inputs[input.index()].clone()
            };
            event(w, &id, t, &target, |w| cn(w, value))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// An event at time `t` that sets `variable` to what `value` writes.
fn event(w: &mut W, id: &str, t: f64, variable: &str, value: impl FnOnce(&mut W) -> R) -> R {
    w.create_element("event")
        .with_attributes([("id", id), ("useValuesFromTriggerTime", "true")])
        .write_inner_content(|w| {
            w.create_element("trigger")
                .with_attributes([("initialValue", "false"), ("persistent", "true")])
                .write_inner_content(|w| {
                    math(w, |w| {
                        apply(w, "geq", |w| {
                            time(w)?;
                            cn(w, t)
                        })
                    })
                })?;
            w.create_element("listOfEventAssignments")
                .write_inner_content(|w| {
                    w.create_element("eventAssignment")
                        .with_attribute(("variable", variable))
                        .write_inner_content(|w| math(w, value))?;
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn math(w: &mut W, body: impl FnOnce(&mut W) -> R) -> R {
    w.create_element("math")
        .with_attribute(("xmlns", MATHML))
        .write_inner_content(body)?;
    Ok(())
}

/// `<apply><op/> … </apply>`; `piecewise_` writes a bare `<piecewise>` instead.
fn apply(w: &mut W, op: &str, args: impl FnOnce(&mut W) -> R) -> R {
    if op == "piecewise_" {
        w.create_element("piecewise").write_inner_content(args)?;
        return Ok(());
    }
    w.create_element("apply").write_inner_content(|w| {
        w.create_element(op).write_empty()?;
        args(w)
    })?;
    Ok(())
}

fn ci(w: &mut W, id: &str) -> R {
    w.create_element("ci")
        .write_text_content(BytesText::new(id))?;
    Ok(())
}

fn cn(w: &mut W, x: f64) -> R {
    if x.is_nan() {
        w.create_element("notanumber").write_empty()?;
        return Ok(());
    }
    if x.is_infinite() {
        return apply(w, "times", |w| {
            cn(w, x.signum())?;
            w.create_element("infinity").write_empty()?;
            Ok(())
        });
    }
    if x < 0.0 {
        return apply(w, "minus", |w| cn(w, -x));
    }
    let text = num(x);
    w.create_element("cn")
        .with_attribute(("type", "real"))
        .write_text_content(BytesText::new(&text))?;
    Ok(())
}

fn time(w: &mut W) -> R {
    w.create_element("csymbol")
        .with_attribute(("definitionURL", TIME))
        .write_text_content(BytesText::new("time"))?;
    Ok(())
}

/// An expression as MathML; `hill`, `inhibit` and `mm` are written out.
fn mathml(w: &mut W, e: &Expr, ids: &Ids) -> R {
    let two = |w: &mut W, op: &str, a: &Expr, b: &Expr| {
        apply(w, op, |w| {
            mathml(w, a, ids)?;
            mathml(w, b, ids)
        })
    };
    match e {
        Expr::Num(x) => cn(w, *x),
        Expr::Var(v) => ci(w, &ids.var(*v)),
        Expr::Neg(a) => apply(w, "minus", |w| mathml(w, a, ids)),
        Expr::Add(a, b) => two(w, "plus", a, b),
        Expr::Sub(a, b) => two(w, "minus", a, b),
        Expr::Mul(a, b) => two(w, "times", a, b),
        Expr::Div(a, b) => two(w, "divide", a, b),
        Expr::Pow(a, b) => two(w, "power", a, b),
        Expr::Call(f, args) => {
            let arg = |k: usize| args.get(k).cloned().unwrap_or(Expr::Num(f64::NAN));
            let pow = |a: Expr, b: Expr| Expr::Pow(Box::new(a), Box::new(b));
            let div = |a: Expr, b: Expr| Expr::Div(Box::new(a), Box::new(b));
            let add = |a: Expr, b: Expr| Expr::Add(Box::new(a), Box::new(b));
            let mul = |a: Expr, b: Expr| Expr::Mul(Box::new(a), Box::new(b));
            match f {
                // xⁿ / (Kⁿ + xⁿ)
                Func::Hill => {
                    let xn = pow(arg(0), arg(2));
                    mathml(w, &div(xn.clone(), add(pow(arg(1), arg(2)), xn)), ids)
                }
                // 1 / (1 + (x / IC50)ⁿ)
                Func::Inhibit => mathml(
                    w,
                    &div(
                        Expr::Num(1.0),
                        add(Expr::Num(1.0), pow(div(arg(0), arg(1)), arg(2))),
                    ),
                    ids,
                ),
                // Vmax·S / (Km + S)
                Func::Mm => mathml(w, &div(mul(arg(1), arg(0)), add(arg(2), arg(0))), ids),
                Func::Exp => apply(w, "exp", |w| mathml(w, &arg(0), ids)),
                Func::Ln => apply(w, "ln", |w| mathml(w, &arg(0), ids)),
                Func::Pow => two(w, "power", &arg(0), &arg(1)),
                Func::Min => two(w, "min", &arg(0), &arg(1)),
                Func::Max => two(w, "max", &arg(0), &arg(1)),
                // Only in derivatives, never in a rate law; 1 where x ≥ 0.
                Func::Step => apply(w, "piecewise_", |w| {
                    w.create_element("piece").write_inner_content(|w| {
                        cn(w, 1.0)?;
                        apply(w, "geq", |w| {
                            mathml(w, &arg(0), ids)?;
                            cn(w, 0.0)
                        })
                    })?;
                    w.create_element("otherwise")
                        .write_inner_content(|w| cn(w, 0.0))?;
                    Ok(())
                }),
            }
        }
    }
}

/// A number in the shortest form that reads back exactly.
fn num(x: f64) -> String {
    let s = format!("{x:?}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// SBML ids for every name of the model, unique and valid.
struct Ids {
    compartments: Vec<String>,
    species: Vec<String>,
    params: Vec<String>,
    inputs: Vec<String>,
    lets: Vec<String>,
    reactions: Vec<String>,
    baths: HashMap<usize, String>,
    depots: HashMap<usize, String>,
    doseds: HashMap<usize, String>,
}

impl Ids {
    fn new(model: &Model) -> Ids {
        let mut taken: HashMap<String, usize> = HashMap::new();
        let mut unique = |name: &str| {
            let base = sid(name);
            let n = taken.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}_{n}") }
        };
        let compartments = model.compartments.iter().map(|c| unique(&c.name)).collect();
        let species = model.species.iter().map(|s| unique(&s.name)).collect();
        let params = model.params.iter().map(|p| unique(&p.name)).collect();
        let inputs = model.inputs.iter().map(|i| unique(&i.name)).collect();
        let lets = model.lets.iter().map(|l| unique(&l.name)).collect();
        let reactions = model
            .reactions
            .iter()
            .enumerate()
            .map(|(k, r)| {
                unique(
                    &r.label
                        .clone()
                        .unwrap_or_else(|| format!("reaction_{}", k + 1)),
                )
            })
            .collect();
        let mut derived = |suffix: &str| -> HashMap<usize, String> {
            (0..model.inputs.len())
                .map(|k| (k, unique(&format!("{}_{suffix}", model.inputs[k].name))))
                .collect()
        };
        let baths = derived("bath");
        let depots = derived("depot");
        let doseds = derived("dosed");
        Ids {
            compartments,
            species,
            params,
            inputs,
            lets,
            reactions,
            baths,
            depots,
            doseds,
        }
    }

    fn var(&self, v: Var) -> String {
        match v {
            Var::Species(s) => self.species[s.index()].clone(),
            Var::Param(p) => self.params[p.index()].clone(),
            Var::Input(i) => self.inputs[i.index()].clone(),
            Var::Let(l) => self.lets[l.index()].clone(),
            Var::Compartment(c) => self.compartments[c.index()].clone(),
            // Readouts are not exported.
            Var::Readout(_) | Var::Baseline(_) => "readout".to_string(),
        }
    }

    fn bath(&self, input: usize) -> String {
        self.baths.get(&input).cloned().unwrap_or_default()
    }

    fn depot(&self, input: usize) -> String {
        self.depots.get(&input).cloned().unwrap_or_default()
    }

    fn dosed(&self, input: usize) -> String {
        self.doseds.get(&input).cloned().unwrap_or_default()
    }
}

/// A valid SBML id for a name: ASCII letters, digits and `_`, not starting with a
/// digit. Superscript digits become digits, ⁺ `p`, ⁻ `m`, `~` `_`, Greek letters
/// their names, anything else `_`.
pub fn sid(name: &str) -> String {
    const GREEK: &[(char, &str)] = &[
        ('α', "alpha"),
        ('β', "beta"),
        ('γ', "gamma"),
        ('δ', "delta"),
        ('ε', "epsilon"),
        ('ζ', "zeta"),
        ('η', "eta"),
        ('θ', "theta"),
        ('κ', "kappa"),
        ('λ', "lambda"),
        ('μ', "mu"),
        ('ν', "nu"),
        ('ξ', "xi"),
        ('π', "pi"),
        ('ρ', "rho"),
        ('σ', "sigma"),
        ('τ', "tau"),
        ('φ', "phi"),
        ('χ', "chi"),
        ('ψ', "psi"),
        ('ω', "omega"),
    ];
    let mut out = String::new();
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => out.push(c),
            '⁰' => out.push('0'),
            '¹' => out.push('1'),
            '²' => out.push('2'),
            '³' => out.push('3'),
            '⁴'..='⁹' => out.push(char::from(b'4' + (c as u32 - '⁴' as u32) as u8)),
            '⁺' => out.push('p'),
            '⁻' => out.push('m'),
            _ => match GREEK
                .iter()
                .find(|(g, _)| *g == c || g.to_uppercase().next() == Some(c))
            {
                Some((_, n)) => out.push_str(n),
                None => out.push('_'),
            },
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sid;

    #[test]
    fn names_become_sbml_ids() {
        assert_eq!(sid("Ca²⁺"), "Ca2p");
        assert_eq!(sid("eEF2~P"), "eEF2_P");
        assert_eq!(sid("RARα_KO"), "RARalpha_KO");
        assert_eq!(sid("2x"), "_2x");
        assert_eq!(sid("µ"), "_");
    }
}
