//! Checking the protocol statements: `pk`, `readout`, `genotype`, `experiment` and
//! `expect`. Runs after the reactions are built, since genotypes name them.

use std::collections::HashMap;

use super::super::protocol::{self as p, Measure, Stat};
use super::*;
use crate::model::protocol::{MAX_EVENTS, MAX_POINTS, time_grid_len};
use std::rc::Rc;

/// A statement's own namespace: experiments and genotypes are named apart from the
/// species, parameters and lets.
struct Names<'a, T> {
    by_name: HashMap<&'a str, usize>,
    items: Vec<&'a T>,
    spans: Vec<Span>,
}

impl<'a, T> Names<'a, T> {
    fn new() -> Self {
        Names {
            by_name: HashMap::new(),
            items: Vec::new(),
            spans: Vec::new(),
        }
    }
}

impl Checker {
    /// Builds the protocol half of the model from the statements.
    pub(super) fn protocols(&mut self, stmts: &[&Stmt], model: &mut Model) {
        let mut readouts = Vec::new();
        let mut genotypes: Names<ast::Genotype> = Names::new();
        let mut experiments: Names<ast::Experiment> = Names::new();
        for stmt in stmts {
            match stmt {
                Stmt::Readout(r) => readouts.push(r),
                Stmt::Genotype(g) => self.name_once(&mut genotypes, &g.name, g),
                Stmt::Experiment(e) => self.name_once(&mut experiments, &e.name, e),
                _ => {}
            }
        }
        for stmt in stmts {
            if let Stmt::Pk(pk) = stmt {
                // A broken `pk` is reported once, not again at every dose.
                self.pk_written.push(pk.input.name.clone());
                if let Some(pk) = self.pk(pk, model) {
                    model.pks.push(pk);
                }
            }
        }
        self.readouts(readouts, model);
        for g in &genotypes.items {
            let genotype = self.genotype(g, model);
            model.genotypes.push(genotype);
        }
        let mut resolved: Vec<Option<Option<Rc<Resolved>>>> = vec![None; experiments.items.len()];
        let mut lines = Vec::new();
        for k in 0..experiments.items.len() {
            let mut cx = Resolving {
                experiments: &experiments,
                genotypes: &genotypes,
                resolved: &mut resolved,
                lines: &mut lines,
                path: Vec::new(),
            };
            let r = self.resolve(k, &mut cx);
            let e = experiments.items[k];
            let r = r.unwrap_or_default();
            let (until, every) = match r.run {
                Some(run) => {
                    self.run_bounds(k, &run, &r.events, &lines, &e.name.name, model);
                    (run.until, run.every)
                }
                None => {
                    if r.complete {
                        self.errors.push(CheckError::NoRun {
                            span: e.name.span,
                            name: e.name.name.clone(),
                        });
                    }
                    (0.0, 1.0)
                }
            };
            if r.events.len() > MAX_EVENTS {
                self.errors.push(CheckError::TooManyEvents {
                    span: e.name.span,
                    count: r.events.len().to_string(),
                    limit: MAX_EVENTS,
                    experiment: Some(e.name.name.clone()),
                });
            }
            let mut events: Vec<p::Event> = r.events.iter().map(|x| x.event).collect();
            events.sort_by(|a, b| a.time.total_cmp(&b.time));
            model.experiments.push(p::Experiment {
                name: e.name.name.clone(),
                description: e.description.as_ref().map(|d| d.text.clone()),
                genotype: r.genotype,
                start: r.start.unwrap_or(p::Start::Steady),
                events,
                until,
                every,
                span: e.name.span,
            });
        }
        for stmt in stmts {
            if let Stmt::Expect(x) = stmt
                && let Some(x) = self.expectation(x, stmt, &experiments, model)
            {
                model.expectations.push(x);
            }
        }
    }

    fn name_once<'a, T>(&mut self, names: &mut Names<'a, T>, name: &'a ast::Ident, item: &'a T) {
        if let Some(&k) = names.by_name.get(name.name.as_str()) {
            self.errors.push(CheckError::Duplicate {
                span: name.span,
                first: names.spans[k],
                name: name.name.clone(),
            });
            return;
        }
        names.by_name.insert(&name.name, names.items.len());
        names.items.push(item);
        names.spans.push(name.span);
    }

    fn unknown<'a>(
        &mut self,
        name: &ast::Ident,
        what: &'static str,
        candidates: impl ExactSizeIterator<Item = &'a str>,
    ) {
        let suggestion = self.suggestions.suggest(&name.name, candidates);
        self.errors.push(CheckError::Unknown {
            span: name.span,
            what,
            name: name.name.clone(),
            suggestion,
        });
    }

    /// A time in base units; it must carry a time unit.
    fn time(&mut self, t: &ast::Time) -> f64 {
        let mut total = 0.0;
        for q in &t.terms {
            if q.unit.is_none() {
                self.errors.push(CheckError::TimeNeedsUnit { span: q.span });
                return f64::NAN;
            }
            total += self.quantity(q, Some((Dim::TIME, "a time")));
        }
        total
    }

    /// A time that must not be negative.
    fn time_at(&mut self, t: &ast::Time) -> f64 {
        let v = self.time(t);
        if v < 0.0 {
            self.errors.push(CheckError::BadValue {
                span: t.span,
                reason: "a time cannot be negative".to_string(),
            });
        }
        v
    }

    /// An interval or duration, which must be positive.
    fn duration(&mut self, t: &ast::Time) -> f64 {
        let v = self.time(t);
        if v <= 0.0 {
            self.errors.push(CheckError::BadValue {
                span: t.span,
                reason: "an interval or a duration must be positive".to_string(),
            });
        }
        v
    }

    fn pk(&mut self, pk: &ast::Pk, model: &Model) -> Option<p::Pk> {
        let input = match self.lookup(&pk.input)? {
            Var::Input(id) => id,
            other => {
                self.wrong_kind(&pk.input, other, "an input");
                return None;
            }
        };
        if let Some(first) = model.pks.iter().find(|q| q.input == input) {
            self.errors.push(CheckError::Duplicate {
                span: pk.input.span,
                first: first.span,
                name: format!("pk {}", pk.input.name),
            });
            return None;
        }
        let absorption = self.half_life(&pk.absorption)?;
        let elimination = self.half_life(&pk.elimination)?;
        Some(p::Pk {
            input,
            absorption,
            elimination,
            span: pk.input.span,
        })
    }

    fn half_life(&mut self, o: &ast::Operand) -> Option<Expr> {
        match o {
            ast::Operand::Quantity(q) => {
                let t = ast::Time {
                    terms: vec![q.clone()],
                    span: q.span,
                };
                let v = self.duration(&t);
                v.is_finite().then_some(Expr::Num(v))
            }
            ast::Operand::Name(n) => match self.lookup(n)? {
                v @ Var::Param(_) => Some(Expr::Var(v)),
                other => {
                    self.wrong_kind(n, other, "a parameter");
                    None
                }
            },
        }
    }

    /// Declares readouts in an order where each reads only earlier ones, then checks
    /// their expressions (the only place `baseline(...)` is allowed).
    fn readouts(&mut self, readouts: Vec<&ast::Readout>, model: &mut Model) {
        let as_lets: Vec<ast::Let> = readouts
            .iter()
            .map(|r| ast::Let {
                name: r.name.clone(),
                expr: r.expr.clone(),
            })
            .collect();
        let ordered = self.order_lets(as_lets.iter().collect());
        for (k, r) in ordered.iter().enumerate() {
            self.declare(&r.name, Var::Readout(k as u32));
        }
        self.in_readout = true;
        for r in &ordered {
            let expr = self.expr(&r.expr);
            model.readouts.push(p::Readout {
                name: r.name.name.clone(),
                expr,
                span: r.name.span,
            });
        }
        self.in_readout = false;
        model.baselines = std::mem::take(&mut self.baselines);
    }

    fn genotype(&mut self, g: &ast::Genotype, model: &Model) -> p::Genotype {
        let mut out = p::Genotype {
            name: g.name.name.clone(),
            knockouts: Vec::new(),
            disabled: Vec::new(),
            sets: Vec::new(),
            span: g.name.span,
        };
        for item in g.block.items() {
            match item {
                ast::GenotypeItem::Knockout(s) => match self.lookup(s) {
                    Some(Var::Species(id)) => {
                        out.knockouts.push(id);
                        for (k, r) in model.reactions.iter().enumerate() {
                            if makes(r, id) {
                                out.disabled.push(ReactionId(k as u32));
                            }
                        }
                    }
                    Some(other) => self.wrong_kind(s, other, "a species"),
                    None => {}
                },
                ast::GenotypeItem::Disable(label) => {
                    let found = model
                        .reactions
                        .iter()
                        .position(|r| r.label.as_deref() == Some(label.name.as_str()));
                    match found {
                        Some(k) => out.disabled.push(ReactionId(k as u32)),
                        None => {
                            let labels: Vec<&str> = model
                                .reactions
                                .iter()
                                .filter_map(|r| r.label.as_deref())
                                .collect();
                            self.unknown(label, "reaction label", labels.into_iter());
                        }
                    }
                }
                ast::GenotypeItem::Set(name, q) => match self.lookup(name) {
                    Some(Var::Param(id)) => {
                        let v = self.quantity(q, None);
                        out.sets.push((id, v));
                    }
                    Some(other) => self.wrong_kind(name, other, "a parameter"),
                    None => {}
                },
            }
        }
        out.disabled.sort_unstable();
        out.disabled.dedup();
        out
    }

    /// An experiment with what it extends folded in; `None` inside `resolved` while
    /// being resolved, to find cycles.
    fn resolve(&mut self, k: usize, cx: &mut Resolving) -> Option<Rc<Resolved>> {
        let units = self.units;
        if let Some(done) = &cx.resolved[k] {
            return done.clone();
        }
        let (experiments, genotypes) = (cx.experiments, cx.genotypes);
        let path = &mut cx.path;
        let e = experiments.items[k];
        if path.contains(&k) {
            return None;
        }
        path.push(k);
        let mut r = match &e.extends {
            None => Resolved {
                complete: true,
                ..Resolved::default()
            },
            Some(parent) => match experiments.by_name.get(parent.name.as_str()) {
                Some(&j) if path.contains(&j) => {
                    let from = path.iter().position(|&x| x == j).unwrap_or(0);
                    let mut names: Vec<String> = path[from..]
                        .iter()
                        .map(|&x| experiments.items[x].name.name.clone())
                        .collect();
                    names.push(parent.name.clone());
                    self.errors.push(CheckError::ExtendsCycle {
                        span: parent.span,
                        names,
                    });
                    Resolved::default()
                }
                Some(&j) => self
                    .resolve(j, cx)
                    .map(|r| (*r).clone())
                    .unwrap_or_default(),
                None => {
                    self.unknown(parent, "experiment", experiments.by_name.keys().copied());
                    Resolved::default()
                }
            },
        };
        for item in e.block.items() {
            match item {
                ast::ExperimentItem::Genotype(g) => match genotypes.by_name.get(g.name.as_str()) {
                    Some(&j) => r.genotype = Some(GenotypeId(j as u32)),
                    None => self.unknown(g, "genotype", genotypes.by_name.keys().copied()),
                },
                ast::ExperimentItem::Start(how) => {
                    r.start = Some(if how.name == "initial" {
                        p::Start::Initial
                    } else {
                        p::Start::Steady
                    });
                }
                ast::ExperimentItem::Run { until, every, span } => {
                    r.run = Some(Run {
                        until: self.duration(until),
                        every: self.duration(every),
                        span: *span,
                        owner: k,
                    });
                }
                ast::ExperimentItem::Event(ev) => self.event(ev, k, &mut r.events, cx.lines),
            }
        }
        self.conflicting_sets(k, &r.events, cx.lines, units);
        cx.path.pop();
        let r = Rc::new(r);
        cx.resolved[k] = Some(Some(r.clone()));
        Some(r)
    }

    fn event(
        &mut self,
        ev: &ast::Event,
        owner: usize,
        events: &mut Vec<Placed>,
        lines: &mut Vec<Line>,
    ) {
        let at = self.time_at(&ev.at);
        let repeat = ev.repeat.as_ref().map(|(every, span)| {
            (
                self.duration(every),
                self.duration(span),
                every.span,
                span.span,
            )
        });
        let input = match self.lookup(&ev.input) {
            Some(Var::Input(id)) => id,
            Some(other) => return self.wrong_kind(&ev.input, other, "an input"),
            None => return,
        };
        let action = match ev.action {
            ast::Action::Set => p::Action::Set,
            ast::Action::Dose => {
                if !self.pk_written.contains(&ev.input.name) {
                    self.errors.push(CheckError::NoPk {
                        span: ev.input.span,
                        name: ev.input.name.clone(),
                    });
                }
                p::Action::Dose
            }
        };
        let value = self.quantity(&ev.value, None);
        let mut n = 1;
        let mut step = 0.0;
        if let Some((every, span, every_span, _)) = repeat
            && every > 0.0
            && span > 0.0
        {
            // Times at, at + every, … while before at + span.
            let count = ((span / every) - 1e-9).ceil().max(1.0);
            if count <= MAX_EVENTS as f64 {
                n = count as usize;
                step = every;
            } else {
                self.errors.push(CheckError::TooManyEvents {
                    span: every_span,
                    count: show_count(count),
                    limit: MAX_EVENTS,
                    experiment: None,
                });
            }
        }
        let line = lines.len() as u32;
        lines.push(Line {
            at: ev.at.span,
            repeat: repeat.map(|r| r.3),
            value: ev.value.span,
            owner,
        });
        events.extend((0..n).map(|j| Placed {
            event: p::Event {
                time: at + j as f64 * step,
                input,
                action,
                value,
            },
            line,
        }));
    }

    /// Two `set`s of one input at one time with different values, written in
    /// experiment `k` itself. One inherited through `extends` is replaced, not in
    /// conflict: the child's comes later and wins.
    fn conflicting_sets(&mut self, k: usize, events: &[Placed], lines: &[Line], units: BaseUnits) {
        let mut sets: Vec<&Placed> = events
            .iter()
            .filter(|x| lines[x.line as usize].owner == k && x.event.action == p::Action::Set)
            .collect();
        // By input and time; a stable sort keeps the written order within a time.
        sets.sort_by(|a, b| {
            (a.event.input.index(), a.event.time)
                .partial_cmp(&(b.event.input.index(), b.event.time))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut reported = std::collections::HashSet::new();
        for pair in sets.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let (la, lb) = (&lines[a.line as usize], &lines[b.line as usize]);
            let (ta, tb) = (a.event.time, b.event.time);
            if a.event.input == b.event.input
                && (ta - tb).abs() <= 1e-9 * ta.abs().max(1.0)
                && a.event.value.to_bits() != b.event.value.to_bits()
                && reported.insert((la.value, lb.value))
            {
                let name = self
                    .symbols
                    .iter()
                    .find(|(_, (v, _))| *v == Var::Input(a.event.input))
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                self.errors.push(CheckError::ConflictingSets {
                    span: lb.value,
                    first: la.value,
                    name,
                    at: show_time(tb, units),
                });
            }
        }
    }

    /// The bounds of experiment `k`'s run: its own `run` no longer than `MAX_POINTS`
    /// output times, and no event after its end.
    fn run_bounds(
        &mut self,
        k: usize,
        run: &Run,
        events: &[Placed],
        lines: &[Line],
        name: &str,
        model: &Model,
    ) {
        if run.owner == k
            && let Some(count) = time_grid_len(run.until, run.every)
            && count > MAX_POINTS as f64
        {
            self.errors.push(CheckError::TooManyPoints {
                span: run.span,
                count: show_count(count),
                limit: MAX_POINTS,
            });
        }
        if !(run.until > 0.0 && run.until.is_finite()) {
            return;
        }
        let end = run.until * (1.0 + 1e-12);
        // The events of one written line are next to each other, in time order.
        for written in events.chunk_by(|a, b| a.line == b.line) {
            let line = &lines[written[0].line as usize];
            let (first, last) = (written[0].event.time, written[written.len() - 1].event.time);
            if last <= end || last.is_nan() {
                continue;
            }
            let repeat = first <= end;
            let span = match (repeat, line.repeat) {
                (true, Some(span)) => span,
                _ => line.at,
            };
            self.errors.push(CheckError::EventAfterRun {
                span,
                run: run.span,
                experiment: name.to_string(),
                at: show_time(if repeat { last } else { first }, model.units),
                until: show_time(run.until, model.units),
                repeat,
            });
        }
    }

    fn expectation(
        &mut self,
        x: &ast::Expect,
        stmt: &Stmt,
        experiments: &Names<ast::Experiment>,
        model: &Model,
    ) -> Option<p::Expectation> {
        let claim = match &x.lhs {
            ast::Lhs::Measure(m) => p::Claim::Measure(self.measure(m, experiments, model)?),
            ast::Lhs::Occlusion {
                a, b, readout, at, ..
            } => {
                let b_name = b;
                let a = self.experiment_index(a, experiments);
                let b = self.experiment_index(b, experiments);
                let readout = self.readout_index(readout, model);
                let at_span = at.span;
                let at = self.time_at(at);
                let (a, b) = (a?, b?);
                if a == b {
                    self.errors.push(CheckError::OcclusionOfItself {
                        span: b_name.span,
                        name: b_name.name.clone(),
                    });
                }
                self.occlusion_bounds(b, at, at_span, model);
                p::Claim::Occlusion {
                    a,
                    b,
                    readout: readout?,
                    at,
                }
            }
            ast::Lhs::Series {
                experiment,
                readout,
                span,
            } => {
                // The parser gives a series its window, where it must hold.
                let w = x.window.as_ref()?;
                // Read as `max R over [t1, t2]`, the window is checked as every
                // statistic's window is: ordered, and inside the run.
                let as_window = ast::Measure {
                    experiment: experiment.clone(),
                    stat: ast::Stat::Window {
                        kind: ast::Window::Max,
                        readout: readout.clone(),
                        from: w.from.clone(),
                        to: w.to.clone(),
                    },
                    span: *span,
                };
                let m = self.measure(&as_window, experiments, model)?;
                let [from, to] = m.stat.times();
                p::Claim::Series {
                    experiment: m.experiment,
                    readout: m.readout,
                    quantifier: w.quantifier,
                    from,
                    to,
                }
            }
        };
        let (mut offset, mut factor) = (0.0, 1.0);
        let target = match &x.rhs {
            ast::Rhs::Value(q) => p::Target::Value(self.quantity(q, None)),
            ast::Rhs::Measure(m) => {
                if let Some(q) = &m.offset {
                    offset = self.quantity(q, None);
                }
                if let Some(f) = &m.factor {
                    factor = f.value;
                }
                if m.minus {
                    factor = -factor;
                }
                p::Target::Measure(self.measure(&m.measure, experiments, model)?)
            }
        };
        let weight = match &x.weight {
            Some(w) => {
                if !(w.value > 0.0 && w.value.is_finite()) {
                    self.errors.push(CheckError::BadWeight {
                        span: w.span,
                        value: w.text.clone(),
                    });
                }
                w.value
            }
            None => 1.0,
        };
        let margin = x.margin.as_ref().map(|m| {
            let value = match m.percent {
                true => m.value.number.value,
                false => self.quantity(&m.value, None),
            };
            if value < 0.0 {
                self.errors
                    .push(CheckError::NegativeMargin { span: m.span });
            }
            p::Margin {
                value,
                percent: m.percent,
            }
        });
        let tolerance = x.tolerance.as_ref().map(|t| {
            if t.value.value < 0.0 {
                self.errors.push(CheckError::BadValue {
                    span: t.span,
                    reason: "a tolerance cannot be negative".to_string(),
                });
            }
            p::Tolerance {
                value: t.value.value,
                percent: t.percent,
            }
        });
        let cmp = x.op;
        let text = crate::syntax::print_stmt(stmt);
        let text = text.strip_prefix("expect ").unwrap_or(&text);
        // The source is shown in its own column.
        let text = match &x.note {
            Some(n) => text
                .strip_suffix(&format!(" \"{}\"", n.text))
                .unwrap_or(text)
                .to_string(),
            None => text.to_string(),
        };
        Some(p::Expectation {
            claim,
            cmp,
            target,
            offset,
            factor,
            tolerance,
            weight,
            margin,
            note: x.note.as_ref().map(|n| n.text.clone()),
            text,
            span: x.span,
        })
    }

    /// An occlusion reads `b` at `at` after its start, so `at` must lie in `b`'s run.
    /// The first experiment is run on to `at` after its last event; that longer run
    /// needs no grid bound here, since the analysis keeps only the times it reads
    /// when the continued grid would pass `MAX_POINTS`.
    fn occlusion_bounds(&mut self, b: ExperimentId, at: f64, span: Span, model: &Model) {
        let Some(eb) = model.experiments.get(b.index()) else {
            return;
        };
        if eb.until > 0.0 && at > eb.until * (1.0 + 1e-12) {
            self.errors.push(CheckError::OutsideRun {
                span,
                experiment: eb.name.clone(),
                until: show_time(eb.until, model.units),
            });
        }
    }

    fn experiment_index(
        &mut self,
        name: &ast::Ident,
        experiments: &Names<ast::Experiment>,
    ) -> Option<ExperimentId> {
        let found = experiments.by_name.get(name.name.as_str()).copied();
        if found.is_none() {
            self.unknown(name, "experiment", experiments.by_name.keys().copied());
        }
        found.map(|k| ExperimentId(k as u32))
    }

    fn readout_index(&mut self, name: &ast::Ident, model: &Model) -> Option<ReadoutId> {
        let found = model.readout_named(&name.name);
        if found.is_none() {
            let names: Vec<&str> = model.readouts.iter().map(|r| r.name.as_str()).collect();
            self.unknown(name, "readout", names.into_iter());
        }
        found
    }

    fn measure(
        &mut self,
        m: &ast::Measure,
        experiments: &Names<ast::Experiment>,
        model: &Model,
    ) -> Option<Measure> {
        let experiment = self.experiment_index(&m.experiment, experiments);
        let (readout, stat, last) = match &m.stat {
            ast::Stat::At { readout, time } => {
                let t = self.time_at(time);
                (readout, Stat::At(t), time)
            }
            ast::Stat::Window {
                kind,
                readout,
                from,
                to,
            } => {
                let (a, b) = (self.time_at(from), self.time_at(to));
                if a > b {
                    self.errors.push(CheckError::BadValue {
                        span: from.span.to(to.span),
                        reason: "a window must end after it begins".to_string(),
                    });
                }
                let stat = match kind {
                    ast::Window::Max => Stat::Max(a, b),
                    ast::Window::Min => Stat::Min(a, b),
                    ast::Window::Mean => Stat::Mean(a, b),
                };
                (readout, stat, to)
            }
            ast::Stat::Change { readout, from, to } => {
                let (a, b) = (self.time_at(from), self.time_at(to));
                let later = if a > b { from } else { to };
                (readout, Stat::Change(a, b), later)
            }
        };
        let readout = self.readout_index(readout, model);
        let experiment = experiment?;
        let latest = stat.times()[0].max(stat.times()[1]);
        if let Some(e) = model.experiments.get(experiment.index())
            && e.until > 0.0
            && latest > e.until * (1.0 + 1e-12)
        {
            self.errors.push(CheckError::OutsideRun {
                span: last.span,
                experiment: e.name.clone(),
                until: show_time(e.until, model.units),
            });
        }
        Some(Measure {
            experiment,
            readout: readout?,
            stat,
        })
    }
}

/// What an experiment has so far while `extends` is resolved.
#[derive(Clone, Debug, Default)]
struct Resolved {
    genotype: Option<GenotypeId>,
    start: Option<p::Start>,
    events: Vec<Placed>,
    run: Option<Run>,
    /// False when a broken `extends` left it partial (no second error for it).
    complete: bool,
}

/// The experiments while `extends` is resolved: each one's result once done (`None`
/// inside while it is being resolved, to find cycles), the event lines met so far
/// and the experiments being resolved.
struct Resolving<'a, 'b> {
    experiments: &'b Names<'a, ast::Experiment>,
    genotypes: &'b Names<'a, ast::Genotype>,
    resolved: &'b mut Vec<Option<Option<Rc<Resolved>>>>,
    lines: &'b mut Vec<Line>,
    path: Vec<usize>,
}

/// An event with the line that wrote it (an index into the lines), for errors about
/// it; a repeat's events share one line, so a million of them stay small.
#[derive(Clone, Copy, Debug)]
struct Placed {
    event: p::Event,
    line: u32,
}

/// Where an event line was written: its `at` time, the `for` duration of a repeat,
/// its value, and the experiment whose block holds it.
#[derive(Clone, Copy, Debug)]
struct Line {
    at: Span,
    repeat: Option<Span>,
    value: Span,
    owner: usize,
}

/// `run T every Δ`, in base units, with the experiment whose block holds it.
#[derive(Clone, Copy, Debug)]
struct Run {
    until: f64,
    every: f64,
    span: Span,
    owner: usize,
}

/// Whether a reaction can make species `s` (net, in either direction if reversible).
fn makes(r: &Reaction, s: SpeciesId) -> bool {
    let count = |side: &[(SpeciesId, u32)]| {
        side.iter()
            .filter(|(x, _)| *x == s)
            .map(|(_, n)| *n as i64)
            .sum::<i64>()
    };
    let net = count(&r.products) - count(&r.reactants);
    net > 0 || (r.reversible && net != 0)
}

/// A time in the model's base unit, for messages.
fn show_time(t: f64, units: BaseUnits) -> String {
    // Six significant digits, as the check summary shows values.
    let shown: f64 = format!("{t:.5e}").parse().unwrap_or(t);
    format!("{shown} {}", units.time.as_str())
}

/// A count of points or events, whole while it is exact in a float.
fn show_count(n: f64) -> String {
    if n < 1e15 {
        format!("{}", n as u64)
    } else {
        format!("{n:e}")
    }
}
