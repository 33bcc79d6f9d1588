//! The reaction network as DOT (Graphviz) or Mermaid text.
//!
//! Species are ellipses, reactions small boxes named by label; reactant and product
//! edges are solid, modifier edges dashed. DOT goes through petgraph's own writer.

use petgraph::dot::{Config, Dot};
use petgraph::visit::EdgeRef;

use crate::model::Model;
use crate::network::{Network, Node, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

pub fn write(model: &Model, network: &Network, format: GraphFormat) -> String {
    match format {
        GraphFormat::Dot => dot(model, network),
        GraphFormat::Mermaid => mermaid(model, network),
    }
}

fn node_label(model: &Model, node: Node) -> String {
    match node {
        Node::Species(s) => model.species[s.index()].name.clone(),
        Node::Reaction(r) => model.reactions[r.index()].display_name(r.index()),
    }
}

fn dot(model: &Model, network: &Network) -> String {
    let g = &network.reactions;
    let edge_attrs = |_: &_, e: petgraph::graph::EdgeReference<'_, Role>| match *e.weight() {
        Role::Reactant(n) | Role::Product(n) if n > 1 => format!("label = \"{n}\""),
        Role::Modifier => "style = dashed, arrowhead = odot".to_string(),
        _ => String::new(),
    };
    let node_attrs = |_: &_, (_, node): (petgraph::graph::NodeIndex, &Node)| {
        let label = escape(&node_label(model, *node));
        match node {
            Node::Species(_) => format!("label = \"{label}\", shape = ellipse"),
            Node::Reaction(_) => format!("label = \"{label}\", shape = box, fontsize = 10"),
        }
    };
    let dot = Dot::with_attr_getters(
        g,
        &[Config::EdgeNoLabel, Config::NodeNoLabel],
        &edge_attrs,
        &node_attrs,
    );
    format!("{dot:?}\n")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid(model: &Model, network: &Network) -> String {
    let g = &network.reactions;
    let mut out = String::from("flowchart LR\n");
    for n in g.node_indices() {
        let label = node_label(model, g[n]).replace('"', "#quot;");
        match g[n] {
            Node::Species(_) => out.push_str(&format!("    n{}([\"{label}\"])\n", n.index())),
            Node::Reaction(_) => out.push_str(&format!("    n{}[\"{label}\"]\n", n.index())),
        }
    }
    for e in g.edge_references() {
        let (a, b) = (e.source().index(), e.target().index());
        match *e.weight() {
            Role::Modifier => out.push_str(&format!("    n{a} -.-> n{b}\n")),
            Role::Reactant(n) | Role::Product(n) if n > 1 => {
                out.push_str(&format!("    n{a} -->|{n}| n{b}\n"))
            }
            _ => out.push_str(&format!("    n{a} --> n{b}\n")),
        }
    }
    out
}
