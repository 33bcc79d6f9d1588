//! Stage 3, network: a checked `Model` in, petgraph graphs out.
//!
//! The reaction graph is bipartite: species and reactions are nodes; reactant, product
//! and modifier edges join them. The influence graph is signed: `x → y` when x appears
//! in y's rate of change (or in the definition of the let y), with the sign of the
//! partial derivative. `chain` statements are checked against the influence graph here.
//! This stage reads the model only; it never changes it.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use crate::model::{Expr, Model, ReactionId, SpeciesId, Var};
use crate::syntax::Diagnostic;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    Species(SpeciesId),
    Reaction(ReactionId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// species → reaction: consumed, with its stoichiometry.
    Reactant(u32),
    /// reaction → species: made, with its stoichiometry.
    Product(u32),
    /// species → reaction: read by the rate law but not consumed.
    Modifier,
}

/// What the shortest paths between two nodes of the influence graph do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathSigns {
    /// Their length in edges.
    pub steps: usize,
    /// Some shortest path has an even number of inhibitions.
    pub positive: bool,
    /// Some shortest path has an odd number of inhibitions.
    pub negative: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Activates,
    Inhibits,
    /// The partial derivative vanished at every point tried.
    Unknown,
}

/// The graphs of one model. Node indices follow model order: species first in the
/// reaction graph; species, inputs, then lets in the influence graph.
#[derive(Clone, Debug)]
pub struct Network {
    pub reactions: DiGraph<Node, Role>,
    pub influence: DiGraph<Var, Sign>,
    influence_index: HashMap<Var, NodeIndex>,
}

/// Builds both graphs.
pub fn build(model: &Model) -> Network {
    let mut reactions = DiGraph::new();
    let species_nodes: Vec<NodeIndex> = (0..model.species.len())
        .map(|i| reactions.add_node(Node::Species(SpeciesId(i as u32))))
        .collect();
    let reads = species_read(model);
    for (k, r) in model.reactions.iter().enumerate() {
        let rn = reactions.add_node(Node::Reaction(ReactionId(k as u32)));
        for &(s, n) in &r.reactants {
            reactions.add_edge(species_nodes[s.index()], rn, Role::Reactant(n));
        }
        for &(s, n) in &r.products {
            reactions.add_edge(rn, species_nodes[s.index()], Role::Product(n));
        }
        // A modifier is read by the rate law without being consumed; the products of
        // a reversible reaction are read by its reverse rate, which makes them
        // reactants of the reverse direction, not modifiers.
        let mut read = Vec::new();
        for v in r.rate().vars() {
            match v {
                Var::Species(s) => read.push(s),
                Var::Let(l) => read.extend(&reads[l.index()]),
                _ => {}
            }
        }
        read.sort();
        read.dedup();
        for s in read {
            let consumed = r.reactants.iter().any(|&(x, _)| x == s);
            let reverse_reactant = r.reversible && r.products.iter().any(|&(x, _)| x == s);
            if !consumed && !reverse_reactant {
                reactions.add_edge(species_nodes[s.index()], rn, Role::Modifier);
            }
        }
    }

    let mut influence = DiGraph::new();
    let mut influence_index = HashMap::new();
    let vars = (0..model.species.len())
        .map(|i| Var::Species(SpeciesId(i as u32)))
        .chain((0..model.inputs.len()).map(|i| Var::Input(crate::model::InputId(i as u32))))
        .chain((0..model.lets.len()).map(|i| Var::Let(crate::model::LetId(i as u32))));
    for v in vars {
        influence_index.insert(v, influence.add_node(v));
    }
    let points = SignPoints::new(model);
    // Each let depends on what its expression reads.
    for (k, l) in model.lets.iter().enumerate() {
        let target = Var::Let(crate::model::LetId(k as u32));
        add_influences(
            &mut influence,
            &influence_index,
            &points,
            &l.expr.expand(),
            target,
        );
    }
    // Each species depends on what its rate of change reads. The net stoichiometry of
    // every (species, reaction) pair is gathered in one pass over the reactions, so
    // the cost follows the number of reaction terms, not species × reactions.
    let mut net: Vec<Vec<(usize, i64)>> = vec![Vec::new(); model.species.len()];
    for (k, r) in model.reactions.iter().enumerate() {
        let terms = r
            .products
            .iter()
            .map(|&(s, n)| (s, n as i64))
            .chain(r.reactants.iter().map(|&(s, n)| (s, -(n as i64))));
        for (s, n) in terms {
            let list = &mut net[s.index()];
            match list.iter_mut().find(|(r, _)| *r == k) {
                Some((_, m)) => *m += n,
                None => list.push((k, n)),
            }
        }
    }
    for (i, terms) in net.iter().enumerate() {
        let s = SpeciesId(i as u32);
        let mut f = Expr::Num(0.0);
        for &(k, n) in terms {
            if n != 0 {
                let r = &model.reactions[k];
                let scale = n as f64 * model.compartments[r.compartment.index()].size
                    / model.compartments[model.species[i].compartment.index()].size;
                f = crate::model::expr::add(
                    f,
                    crate::model::expr::mul(Expr::Num(scale), r.rate().expand()),
                );
            }
        }
        add_influences(
            &mut influence,
            &influence_index,
            &points,
            &f,
            Var::Species(s),
        );
    }
    Network {
        reactions,
        influence,
        influence_index,
    }
}

fn add_influences(
    graph: &mut DiGraph<Var, Sign>,
    index: &HashMap<Var, NodeIndex>,
    points: &SignPoints,
    f: &Expr,
    target: Var,
) {
    for x in f.vars() {
        if x == target {
            continue;
        }
        let (Some(&from), Some(&to)) = (index.get(&x), index.get(&target)) else {
            continue;
        };
        graph.add_edge(from, to, points.sign(&f.derivative(x)));
    }
}

/// The species each let reads, directly or through other lets, sorted. Lets come in
/// evaluation order, so one pass suffices and no expression is ever inlined (inlining
/// grows exponentially when lets reuse each other).
fn species_read(model: &Model) -> Vec<Vec<SpeciesId>> {
    let mut out: Vec<Vec<SpeciesId>> = Vec::with_capacity(model.lets.len());
    for l in &model.lets {
        let mut set = Vec::new();
        for v in l.expr.vars() {
            match v {
                Var::Species(s) => set.push(s),
                Var::Let(id) => set.extend(out.get(id.index()).map(Vec::as_slice).unwrap_or(&[])),
                _ => {}
            }
        }
        set.sort();
        set.dedup();
        out.push(set);
    }
    out
}

/// Where signs of partial derivatives are read: at the initial state, and where that
/// gives zero (a drug input at 0, say), at a generic point with every species and
/// input at 1.
struct SignPoints {
    values: [HashMap<Var, f64>; 2],
}

impl SignPoints {
    fn new(model: &Model) -> SignPoints {
        let at = |species: Vec<f64>, inputs: Vec<f64>| {
            let lets = model.let_values(&species, &inputs);
            let mut m = HashMap::new();
            for (i, v) in species.iter().enumerate() {
                m.insert(Var::Species(SpeciesId(i as u32)), *v);
            }
            for (i, v) in inputs.iter().enumerate() {
                m.insert(Var::Input(crate::model::InputId(i as u32)), *v);
            }
            for (i, v) in lets.iter().enumerate() {
                m.insert(Var::Let(crate::model::LetId(i as u32)), *v);
            }
            for (i, p) in model.params.iter().enumerate() {
                m.insert(Var::Param(crate::model::ParamId(i as u32)), p.value);
            }
            for (i, c) in model.compartments.iter().enumerate() {
                m.insert(
                    Var::Compartment(crate::model::CompartmentId(i as u32)),
                    c.size,
                );
            }
            m
        };
        SignPoints {
            values: [
                at(model.initial_state(), model.input_values()),
                at(
                    vec![1.0; model.species.len()],
                    vec![1.0; model.inputs.len()],
                ),
            ],
        }
    }

    fn sign(&self, d: &Expr) -> Sign {
        for values in &self.values {
            let x = d.eval(&|v| values.get(&v).copied().unwrap_or(f64::NAN));
            if x > 0.0 {
                return Sign::Activates;
            }
            if x < 0.0 {
                return Sign::Inhibits;
            }
        }
        Sign::Unknown
    }
}

impl Network {
    /// The signs of the shortest paths (fewest steps) from `from` to `to` in the
    /// influence graph, ignoring edges of unknown sign; `None` if `to` is not
    /// downstream of `from`.
    ///
    /// Why shortest paths: in a network with conservation (every binding step and
    /// every active/inactive pair) longer walks of both signs exist between almost
    /// any two nodes, so "some path has this sign" would hold for both signs and a
    /// chain could never fail. The most direct routes carry the influence the chain
    /// names. Breadth-first layering finds the signs of all of them in linear time.
    pub fn shortest_path_signs(&self, from: Var, to: Var) -> Option<PathSigns> {
        let (&a, &b) = (
            self.influence_index.get(&from)?,
            self.influence_index.get(&to)?,
        );
        let g = &self.influence;
        let mut dist = vec![usize::MAX; g.node_count()];
        // Bit 0: some shortest path to the node is positive; bit 1: some is negative.
        let mut signs = vec![0u8; g.node_count()];
        let mut queue = std::collections::VecDeque::new();
        dist[a.index()] = 0;
        signs[a.index()] = 1;
        queue.push_back(a);
        while let Some(n) = queue.pop_front() {
            if n == b {
                continue;
            }
            for e in g.edges(n) {
                let flip = match e.weight() {
                    Sign::Activates => false,
                    Sign::Inhibits => true,
                    Sign::Unknown => continue,
                };
                let m = e.target();
                if m == a {
                    continue;
                }
                if dist[m.index()] == usize::MAX {
                    dist[m.index()] = dist[n.index()] + 1;
                    queue.push_back(m);
                }
                if dist[m.index()] == dist[n.index()] + 1 {
                    let s = signs[n.index()];
                    signs[m.index()] |= if flip {
                        ((s & 1) << 1) | ((s >> 1) & 1)
                    } else {
                        s
                    };
                }
            }
        }
        (dist[b.index()] != usize::MAX && a != b).then(|| PathSigns {
            steps: dist[b.index()],
            positive: signs[b.index()] & 1 != 0,
            negative: signs[b.index()] & 2 != 0,
        })
    }

    /// Where the influences of two sets of inputs converge on the way to `targets`:
    /// the nodes that every path from `a` to a target passes through and every path
    /// from `b` does too (common dominators of the targets, each computed in the
    /// influence graph restricted to what one set reaches). In the order the paths
    /// from `a` reach them, so the first is where both drugs' routes first meet.
    pub fn convergence(&self, a: &[Var], b: &[Var], targets: &[Var]) -> Vec<Var> {
        let from_a = self.dominators_of(a, targets);
        let from_b = self.dominators_of(b, targets);
        from_a.into_iter().filter(|v| from_b.contains(v)).collect()
    }

    /// Where the downstream sets of two sets of inputs first meet on the way to
    /// `targets`: the nodes both reach (and that reach a target) with no such node
    /// upstream of them, a strongly connected group (a binding pair, a feedback
    /// loop) counting as one. Unlike `convergence`, other routes may bypass them.
    pub fn meeting_points(&self, a: &[Var], b: &[Var], targets: &[Var]) -> Vec<Var> {
        let g = &self.influence;
        let forward = |roots: &[Var]| {
            let mut seen = vec![false; g.node_count()];
            let mut stack: Vec<NodeIndex> = roots
                .iter()
                .filter_map(|r| self.influence_index.get(r).copied())
                .collect();
            while let Some(n) = stack.pop() {
                for m in g.neighbors(n) {
                    if !std::mem::replace(&mut seen[m.index()], true) {
                        stack.push(m);
                    }
                }
            }
            seen
        };
        let (from_a, from_b) = (forward(a), forward(b));
        let mut to_targets = vec![false; g.node_count()];
        let mut stack: Vec<NodeIndex> = targets
            .iter()
            .filter_map(|t| self.influence_index.get(t).copied())
            .collect();
        for n in &stack {
            to_targets[n.index()] = true;
        }
        while let Some(n) = stack.pop() {
            for m in g.neighbors_directed(n, petgraph::Direction::Incoming) {
                if !std::mem::replace(&mut to_targets[m.index()], true) {
                    stack.push(m);
                }
            }
        }
        let common = |n: NodeIndex| {
            let v = g[n];
            from_a[n.index()]
                && from_b[n.index()]
                && to_targets[n.index()]
                && !a.contains(&v)
                && !b.contains(&v)
        };
        let mut group = vec![usize::MAX; g.node_count()];
        let sccs = petgraph::algo::tarjan_scc(g);
        for (k, scc) in sccs.iter().enumerate() {
            for n in scc {
                group[n.index()] = k;
            }
        }
        let mut out: Vec<Var> = Vec::new();
        for scc in &sccs {
            if !scc.iter().any(|&n| common(n)) {
                continue;
            }
            let fed_from_common = scc.iter().any(|&n| {
                g.neighbors_directed(n, petgraph::Direction::Incoming)
                    .any(|m| common(m) && group[m.index()] != group[n.index()])
            });
            if !fed_from_common {
                out.extend(scc.iter().filter(|&&n| common(n)).map(|&n| g[n]));
            }
        }
        out.sort();
        out
    }

    /// The nodes every path from `roots` to any of `targets` passes through, from the
    /// roots' side to the targets' (roots excluded, targets included).
    fn dominators_of(&self, roots: &[Var], targets: &[Var]) -> Vec<Var> {
        // A copy of the graph with a source feeding the roots and a sink fed by the
        // targets, so one dominator tree answers for all of them.
        let mut g: DiGraph<Option<Var>, ()> = self.influence.map(|_, v| Some(*v), |_, _| ());
        let source = g.add_node(None);
        let sink = g.add_node(None);
        for r in roots {
            if let Some(&n) = self.influence_index.get(r) {
                g.add_edge(source, n, ());
            }
        }
        for t in targets {
            if let Some(&n) = self.influence_index.get(t) {
                g.add_edge(n, sink, ());
            }
        }
        let doms = petgraph::algo::dominators::simple_fast(&g, source);
        let Some(chain) = doms.dominators(sink) else {
            return Vec::new();
        };
        let mut out: Vec<Var> = chain
            .filter_map(|n| g[n])
            .filter(|v| !roots.contains(v))
            .collect();
        out.reverse();
        out
    }

    /// Everything `v` influences, directly or through others (itself excluded).
    pub fn downstream(&self, v: Var) -> Vec<Var> {
        let Some(&start) = self.influence_index.get(&v) else {
            return Vec::new();
        };
        let g = &self.influence;
        let mut seen = vec![false; g.node_count()];
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            for m in g.neighbors(n) {
                if !std::mem::replace(&mut seen[m.index()], true) {
                    stack.push(m);
                }
            }
        }
        let mut out: Vec<Var> = g
            .node_indices()
            .filter(|n| seen[n.index()] && *n != start)
            .map(|n| g[n])
            .collect();
        out.sort();
        out
    }

    /// The direct influences of `v`: (target, sign), in graph order.
    pub fn influences_of(&self, v: Var) -> Vec<(Var, Sign)> {
        let Some(&n) = self.influence_index.get(&v) else {
            return Vec::new();
        };
        let mut out: Vec<(Var, Sign)> = self
            .influence
            .edges(n)
            .map(|e| (self.influence[e.target()], *e.weight()))
            .collect();
        out.sort_by_key(|(v, _)| *v);
        out
    }

    /// Whether a chain link holds: `to` is downstream of `from` and every shortest
    /// path between them has the asserted sign.
    pub fn link_holds(&self, from: Var, to: Var, inhibits: bool) -> bool {
        match self.shortest_path_signs(from, to) {
            Some(p) if inhibits => p.negative && !p.positive,
            Some(p) => p.positive && !p.negative,
            None => false,
        }
    }

    /// Checks every `chain` of the model, one diagnostic per broken link.
    pub fn check_chains(&self, model: &Model) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for chain in &model.chains {
            let mut from = chain.first;
            for link in &chain.links {
                let (to, to_span) = link.target;
                if !self.link_holds(from.0, to, link.inhibits) {
                    out.push(self.broken_link(
                        model,
                        from.0,
                        to,
                        link.inhibits,
                        link.sign_span.to(to_span),
                    ));
                }
                from = link.target;
            }
        }
        out
    }

    fn broken_link(
        &self,
        model: &Model,
        from: Var,
        to: Var,
        inhibits: bool,
        span: crate::syntax::Span,
    ) -> Diagnostic {
        let (a, b) = (model.var_name(from), model.var_name(to));
        let verb = if inhibits { "inhibit" } else { "activate" };
        let (message, help) = match self.shortest_path_signs(from, to) {
            Some(p) if p.positive && p.negative => (
                format!("the most direct paths from `{a}` to `{b}` disagree in sign"),
                format!(
                    "of the paths of {} from `{a}` to `{b}`, some activate it and some inhibit it; name the intermediate step in the chain, or check the signs of the rate laws in between",
                    steps(p.steps)
                ),
            ),
            Some(p) => (
                format!("`{a}` does not {verb} `{b}`"),
                format!(
                    "the most direct paths from `{a}` to `{b}` ({}) {} it; write `{}`, or check the signs of the rate laws in between",
                    steps(p.steps),
                    if inhibits { "activate" } else { "inhibit" },
                    if inhibits { "->" } else { "-|" }
                ),
            ),
            None => {
                let direct: Vec<String> = self
                    .influences_of(from)
                    .iter()
                    .map(|(v, s)| {
                        let arrow = match s {
                            Sign::Activates => "->",
                            Sign::Inhibits => "-|",
                            Sign::Unknown => "-?",
                        };
                        format!("`{a} {arrow} {}`", model.var_name(*v))
                    })
                    .collect();
                let help = if direct.is_empty() {
                    format!("nothing reads `{a}`")
                } else {
                    format!("`{a}` acts only through {}", direct.join(", "))
                };
                (format!("`{b}` is not downstream of `{a}`"), help)
            }
        };
        Diagnostic::error(message, span, "this link does not hold").with_help(help)
    }
}

/// `1 step`, `3 steps`.
fn steps(n: usize) -> String {
    format!("{n} step{}", if n == 1 { "" } else { "s" })
}
