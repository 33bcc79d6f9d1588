//! The reaction network or the signed influence graph as DOT (Graphviz), Mermaid or
//! GraphML (Cytoscape, yEd).
//!
//! In the reaction graph species are ellipses and reactions small boxes named by
//! label; reactant and product edges are solid, modifier edges dashed. In the
//! influence graph every species, input and let is a node, and an edge runs from
//! what a rate or definition reads to what it changes: an arrow (→) where raising
//! the source raises the target, a bar (⊣) where it lowers it, dotted where the sign
//! is unknown. Either graph can highlight what one name influences, directly or
//! through others (`from`). DOT goes through petgraph's own writer, GraphML through
//! quick-xml.

use std::collections::HashSet;
use std::io::Cursor;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::model::{Model, Var};
use crate::network::{Network, Node, Role, Sign};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
    GraphMl,
}

/// Which graph, and what to highlight.
#[derive(Clone, Copy, Debug, Default)]
pub struct View {
    /// The signed influence graph instead of the reaction graph.
    pub influence: bool,
    /// Highlight this name and everything downstream of it.
    pub from: Option<Var>,
}

/// The fill of highlighted nodes.
const HIGHLIGHT: &str = "#ffd8a8";

/// One graph to draw, whichever it was: labelled nodes and styled edges.
struct Drawing {
    nodes: Vec<DrawNode>,
    edges: Vec<DrawEdge>,
}

struct DrawNode {
    label: String,
    kind: &'static str,
    highlighted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    /// A modifier edge of the reaction graph.
    Modifier,
    Activates,
    Inhibits,
    Unknown,
}

struct DrawEdge {
    from: usize,
    to: usize,
    style: Style,
    /// A stoichiometry above 1.
    label: Option<String>,
}

pub fn write(model: &Model, network: &Network, format: GraphFormat, view: View) -> String {
    let drawing = if view.influence {
        influence(model, network, view.from)
    } else {
        reactions(model, network, view.from)
    };
    match format {
        GraphFormat::Dot => dot(&drawing),
        GraphFormat::Mermaid => mermaid(&drawing),
        GraphFormat::GraphMl => graphml(&drawing, view.influence),
    }
}

fn downstream_set(network: &Network, from: Option<Var>) -> HashSet<Var> {
    match from {
        Some(v) => {
            let mut set: HashSet<Var> = network.downstream(v).into_iter().collect();
            set.insert(v);
            set
        }
        None => HashSet::new(),
    }
}

fn reactions(model: &Model, network: &Network, from: Option<Var>) -> Drawing {
    let g = &network.reactions;
    let lit = downstream_set(network, from);
    let nodes = g
        .node_indices()
        .map(|n| match g[n] {
            Node::Species(s) => DrawNode {
                label: model.species[s.index()].name.clone(),
                kind: "species",
                highlighted: lit.contains(&Var::Species(s)),
            },
            Node::Reaction(r) => {
                let reaction = &model.reactions[r.index()];
                DrawNode {
                    label: reaction.display_name(r.index()),
                    kind: "reaction",
                    highlighted: reaction.rate().vars().iter().any(|v| lit.contains(v)),
                }
            }
        })
        .collect();
    let edges = g
        .edge_references()
        .map(|e| DrawEdge {
            from: e.source().index(),
            to: e.target().index(),
            style: match e.weight() {
                Role::Modifier => Style::Modifier,
                _ => Style::Plain,
            },
            label: match *e.weight() {
                Role::Reactant(n) | Role::Product(n) if n > 1 => Some(n.to_string()),
                _ => None,
            },
        })
        .collect();
    Drawing { nodes, edges }
}

fn influence(model: &Model, network: &Network, from: Option<Var>) -> Drawing {
    let g: &DiGraph<Var, Sign> = &network.influence;
    let lit = downstream_set(network, from);
    let nodes = g
        .node_indices()
        .map(|n: NodeIndex| {
            let v = g[n];
            DrawNode {
                label: model.var_name(v).to_string(),
                kind: match v {
                    Var::Species(_) => "species",
                    Var::Input(_) => "input",
                    _ => "let",
                },
                highlighted: lit.contains(&v),
            }
        })
        .collect();
    let edges = g
        .edge_references()
        .map(|e| DrawEdge {
            from: e.source().index(),
            to: e.target().index(),
            style: match e.weight() {
                Sign::Activates => Style::Activates,
                Sign::Inhibits => Style::Inhibits,
                Sign::Unknown => Style::Unknown,
            },
            label: None,
        })
        .collect();
    Drawing { nodes, edges }
}

fn dot(d: &Drawing) -> String {
    // A graph of indices, drawn with the attributes of the drawing.
    let mut g: DiGraph<usize, usize> = DiGraph::new();
    for k in 0..d.nodes.len() {
        g.add_node(k);
    }
    for (k, e) in d.edges.iter().enumerate() {
        g.add_edge(NodeIndex::new(e.from), NodeIndex::new(e.to), k);
    }
    let edge_attrs = |_: &_, e: petgraph::graph::EdgeReference<'_, usize>| {
        let edge = &d.edges[*e.weight()];
        let mut attrs = match edge.style {
            Style::Plain | Style::Activates => String::new(),
            Style::Modifier => "style = dashed, arrowhead = odot".to_string(),
            Style::Inhibits => "arrowhead = tee, color = \"#c92a2a\"".to_string(),
            Style::Unknown => "style = dotted".to_string(),
        };
        if let Some(l) = &edge.label {
            if !attrs.is_empty() {
                attrs.push_str(", ");
            }
            attrs.push_str(&format!("label = \"{l}\""));
        }
        attrs
    };
    let node_attrs = |_: &_, (_, k): (NodeIndex, &usize)| {
        let node = &d.nodes[*k];
        let label = escape(&node.label);
        let shape = match node.kind {
            "reaction" => "shape = box, fontsize = 10",
            "input" => "shape = parallelogram",
            "let" => "shape = plaintext",
            _ => "shape = ellipse",
        };
        let fill = if node.highlighted {
            format!(", style = filled, fillcolor = \"{HIGHLIGHT}\"")
        } else {
            String::new()
        };
        format!("label = \"{label}\", {shape}{fill}")
    };
    let dot = Dot::with_attr_getters(
        &g,
        &[Config::EdgeNoLabel, Config::NodeNoLabel],
        &edge_attrs,
        &node_attrs,
    );
    format!("{dot:?}\n")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid(d: &Drawing) -> String {
    let mut out = String::from("flowchart LR\n");
    for (k, n) in d.nodes.iter().enumerate() {
        let label = n.label.replace('"', "#quot;");
        match n.kind {
            "reaction" | "let" => out.push_str(&format!("    n{k}[\"{label}\"]\n")),
            "input" => out.push_str(&format!("    n{k}[/\"{label}\"/]\n")),
            _ => out.push_str(&format!("    n{k}([\"{label}\"])\n")),
        }
    }
    for e in &d.edges {
        let (a, b) = (e.from, e.to);
        match (e.style, &e.label) {
            (Style::Modifier | Style::Unknown, _) => out.push_str(&format!("    n{a} -.-> n{b}\n")),
            (Style::Inhibits, _) => out.push_str(&format!("    n{a} --x n{b}\n")),
            (_, Some(l)) => out.push_str(&format!("    n{a} -->|{l}| n{b}\n")),
            _ => out.push_str(&format!("    n{a} --> n{b}\n")),
        }
    }
    let lit: Vec<String> = d
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.highlighted)
        .map(|(k, _)| format!("n{k}"))
        .collect();
    if !lit.is_empty() {
        out.push_str(&format!("    classDef downstream fill:{HIGHLIGHT}\n"));
        out.push_str(&format!("    class {} downstream\n", lit.join(",")));
    }
    out
}

/// GraphML with `label`, `kind` and `downstream` on nodes and `role` (or `sign`) on
/// edges, which Cytoscape maps to styles.
fn graphml(d: &Drawing, influence: bool) -> String {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    // Writing to memory cannot fail.
    let _ = graphml_to(&mut w, d, influence);
    let mut text = String::from_utf8(w.into_inner().into_inner()).unwrap_or_default();
    text.push('\n');
    text
}

fn graphml_to(
    w: &mut Writer<Cursor<Vec<u8>>>,
    d: &Drawing,
    influence: bool,
) -> std::io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let edge_key = if influence { "sign" } else { "role" };
    w.create_element("graphml")
        .with_attribute(("xmlns", "http://graphml.graphdrawing.org/xmlns"))
        .write_inner_content(|w| {
            for (id, target, name, ty) in [
                ("label", "node", "label", "string"),
                ("kind", "node", "kind", "string"),
                ("downstream", "node", "downstream", "boolean"),
                ("edge", "edge", edge_key, "string"),
                ("stoichiometry", "edge", "stoichiometry", "string"),
            ] {
                w.create_element("key")
                    .with_attributes([
                        ("id", id),
                        ("for", target),
                        ("attr.name", name),
                        ("attr.type", ty),
                    ])
                    .write_empty()?;
            }
            w.create_element("graph")
                .with_attributes([("id", "G"), ("edgedefault", "directed")])
                .write_inner_content(|w| {
                    for (k, n) in d.nodes.iter().enumerate() {
                        let id = format!("n{k}");
                        w.create_element("node")
                            .with_attribute(("id", id.as_str()))
                            .write_inner_content(|w| {
                                data(w, "label", &n.label)?;
                                data(w, "kind", n.kind)?;
                                data(
                                    w,
                                    "downstream",
                                    if n.highlighted { "true" } else { "false" },
                                )
                            })?;
                    }
                    for (k, e) in d.edges.iter().enumerate() {
                        let (id, source, target) = (
                            format!("e{k}"),
                            format!("n{}", e.from),
                            format!("n{}", e.to),
                        );
                        w.create_element("edge")
                            .with_attributes([
                                ("id", id.as_str()),
                                ("source", source.as_str()),
                                ("target", target.as_str()),
                            ])
                            .write_inner_content(|w| {
                                let value = match e.style {
                                    Style::Plain => "reaction",
                                    Style::Modifier => "modifier",
                                    Style::Activates => "activates",
                                    Style::Inhibits => "inhibits",
                                    Style::Unknown => "unknown",
                                };
                                data(w, "edge", value)?;
                                if let Some(l) = &e.label {
                                    data(w, "stoichiometry", l)?;
                                }
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn data(w: &mut Writer<Cursor<Vec<u8>>>, key: &str, value: &str) -> std::io::Result<()> {
    w.create_element("data")
        .with_attribute(("key", key))
        .write_text_content(BytesText::new(value))?;
    Ok(())
}
