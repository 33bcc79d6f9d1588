//! The canonical printer behind `pathrules fmt`: an `ast::File` back to text.
//!
//! It keeps every comment and every literal as written, puts one space around binary
//! operators and arrows, prints the ASCII spelling of arrows and units, drops redundant
//! parentheses and collapses runs of blank lines. Printing a parsed file and parsing the
//! result gives the same tree, and printing is idempotent (both are tested).

use std::fmt::Write;

use super::ast::*;

/// Prints a file canonically, ending with a newline (or empty if the file is empty).
pub fn print(file: &File) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    let mut wrote_any = false;
    for line in &file.lines {
        if line.stmt.is_none() && line.comment.is_none() {
            blank_run += 1;
            continue;
        }
        if wrote_any && blank_run > 0 {
            out.push('\n');
        }
        blank_run = 0;
        wrote_any = true;
        if let Some(stmt) = &line.stmt {
            stmt_to(&mut out, stmt);
        }
        comment_to(&mut out, line.comment.as_deref(), line.stmt.is_some());
        out.push('\n');
        match &line.stmt {
            Some(Stmt::Genotype(g)) if !g.block.inline => {
                block_body(&mut out, &g.block, genotype_item);
            }
            Some(Stmt::Experiment(e)) if !e.block.inline => {
                block_body(&mut out, &e.block, experiment_item);
            }
            _ => {}
        }
    }
    out
}

/// One statement as `fmt` prints it, on one line (a block as if written inline).
pub fn print_stmt(stmt: &Stmt) -> String {
    let mut out = String::new();
    stmt_to(&mut out, stmt);
    out
}

fn comment_to(out: &mut String, comment: Option<&str>, after_code: bool) {
    if let Some(comment) = comment {
        if after_code {
            out.push_str("  ");
        }
        out.push('#');
        out.push_str(comment.trim_end());
    }
}

/// The lines of a multi-line block after its header, indented two spaces, and the
/// closing `}`. The parser has already collapsed runs of blank lines to one.
fn block_body<T>(out: &mut String, block: &Block<T>, item: fn(&T) -> String) {
    for l in &block.items {
        if l.item.is_some() || l.comment.is_some() {
            out.push_str("  ");
        }
        if let Some(it) = &l.item {
            out.push_str(&item(it));
        }
        comment_to(out, l.comment.as_deref(), l.item.is_some());
        out.push('\n');
    }
    out.push('}');
    comment_to(out, block.close_comment.as_deref(), true);
    out.push('\n');
}

/// A block's header end: `{` for a multi-line block, `{ a; b }` inline.
fn block_head<T>(out: &mut String, block: &Block<T>, item: fn(&T) -> String) {
    if !block.inline {
        out.push('{');
        return;
    }
    let items: Vec<String> = block.items().map(item).collect();
    if items.is_empty() {
        out.push_str("{ }");
    } else {
        let _ = write!(out, "{{ {} }}", items.join("; "));
    }
}

fn genotype_item(item: &GenotypeItem) -> String {
    match item {
        GenotypeItem::Knockout(s) => format!("knockout {}", s.name),
        GenotypeItem::Disable(r) => format!("disable {}", r.name),
        GenotypeItem::Set(p, q) => format!("set {} = {}", p.name, quantity(q)),
    }
}

fn experiment_item(item: &ExperimentItem) -> String {
    match item {
        ExperimentItem::Genotype(g) => format!("genotype {}", g.name),
        ExperimentItem::Start(how) => format!("start {}", how.name),
        ExperimentItem::Run { until, every, .. } => {
            format!("run {} every {}", time(until), time(every))
        }
        ExperimentItem::Event(e) => {
            let mut s = format!("at {}", time(&e.at));
            if let Some((every, span)) = &e.repeat {
                let _ = write!(s, " every {} for {}", time(every), time(span));
            }
            let action = match e.action {
                Action::Set => "set",
                Action::Dose => "dose",
            };
            let _ = write!(s, " {action} {} = {}", e.input.name, quantity(&e.value));
            s
        }
    }
}

fn time(t: &Time) -> String {
    t.terms.iter().map(quantity).collect::<Vec<_>>().join(" + ")
}

fn operand(o: &Operand) -> String {
    match o {
        Operand::Quantity(q) => quantity(q),
        Operand::Name(n) => n.name.clone(),
    }
}

fn measure(m: &Measure) -> String {
    let stat = match &m.stat {
        Stat::At { readout, time: t } => format!("{} at {}", readout.name, time(t)),
        Stat::Window {
            kind,
            readout,
            from,
            to,
        } => format!(
            "{} {} over [{}, {}]",
            kind.as_str(),
            readout.name,
            time(from),
            time(to)
        ),
        Stat::Change { readout, from, to } => {
            format!("{} from {} to {}", readout.name, time(from), time(to))
        }
    };
    format!("{}: {}", m.experiment.name, stat)
}

fn stmt_to(out: &mut String, stmt: &Stmt) {
    match stmt {
        Stmt::Import(i) => {
            let _ = write!(out, "import \"{}\"", i.path);
        }
        Stmt::Units(settings) => {
            out.push_str("units ");
            let parts: Vec<String> = settings
                .iter()
                .map(|s| format!("{} = {}", s.dimension.name, unit(&s.unit)))
                .collect();
            out.push_str(&parts.join(", "));
        }
        Stmt::Compartment(c) => {
            let _ = write!(out, "compartment {} = {}", c.name.name, quantity(&c.size));
        }
        Stmt::Species(inits) => {
            out.push_str("species ");
            let parts: Vec<String> = inits
                .iter()
                .map(|s| {
                    let mut p = format!("{} = {}", s.name.name, quantity(&s.initial));
                    if let Some(c) = &s.compartment {
                        let _ = write!(p, " in {}", c.name);
                    }
                    p
                })
                .collect();
            out.push_str(&parts.join(", "));
        }
        Stmt::Input(i) => {
            let _ = write!(out, "input {} = {}", i.name.name, quantity(&i.value));
        }
        Stmt::Param(p) => {
            let value = match &p.value {
                ParamValue::Quantity(q) => quantity(q),
                // A formula that is one number is parenthesised, or it would read back
                // as the parameter's own value.
                ParamValue::Formula(e) => match &e.kind {
                    ExprKind::Number(q) => format!("({})", quantity(q)),
                    ExprKind::Neg(a) if matches!(a.kind, ExprKind::Number(_)) => {
                        format!("-({})", print_expr(a))
                    }
                    _ => print_expr(e),
                },
            };
            let _ = write!(out, "param {} = {value}", p.name.name);
            if let Some(r) = &p.range {
                let _ = write!(out, " in [{}, {}]", r.lo.text, r.hi.text);
                if let Some(u) = &r.unit {
                    let _ = write!(out, " {}", unit(u));
                }
            }
            if let Some(n) = &p.note {
                let _ = write!(out, " \"{}\"", n.text);
            }
        }
        Stmt::Let(l) => {
            let _ = write!(out, "let {} = {}", l.name.name, print_expr(&l.expr));
        }
        Stmt::Reaction(r) => {
            if let Some(label) = &r.label {
                let _ = write!(out, "{}: ", label.name);
            }
            let reactants = side(&r.reactants);
            let products = side(&r.products);
            let arrow = match r.arrow {
                Arrow::Forward => "->",
                Arrow::Reversible => "<->",
            };
            // An empty side prints as nothing: `-> A` and `A ->`.
            let mut parts = Vec::new();
            if !reactants.is_empty() {
                parts.push(reactants);
            }
            parts.push(arrow.to_string());
            if !products.is_empty() {
                parts.push(products);
            }
            out.push_str(&parts.join(" "));
            match &r.rate {
                RateLaw::MassAction { forward, reverse } => {
                    let _ = write!(out, " @ {}", print_expr(forward));
                    if let Some(rev) = reverse {
                        let _ = write!(out, ", {}", print_expr(rev));
                    }
                }
                RateLaw::Explicit(e) => {
                    let _ = write!(out, " ; {}", print_expr(e));
                }
            }
        }
        Stmt::Chain(c) => {
            let _ = write!(out, "chain {}", c.first.name);
            for link in &c.links {
                let sign = match link.sign {
                    LinkSign::Activates => "->",
                    LinkSign::Inhibits => "-|",
                };
                let _ = write!(out, " {} {}", sign, link.target.name);
            }
        }
        Stmt::Override(o) => {
            out.push_str("override ");
            stmt_to(out, &o.stmt);
        }
        Stmt::Remove(r) => match &r.target {
            RemoveTarget::Species(n) => {
                let _ = write!(out, "remove species {}", n.name);
            }
            RemoveTarget::Reaction(n) => {
                let _ = write!(out, "remove reaction {}", n.name);
            }
            RemoveTarget::Chain(c) => {
                out.push_str("remove ");
                stmt_to(out, &Stmt::Chain(c.clone()));
            }
        },
        Stmt::Pk(p) => {
            let _ = write!(
                out,
                "pk {} absorption = {}, elimination = {}",
                p.input.name,
                operand(&p.absorption),
                operand(&p.elimination)
            );
        }
        Stmt::Readout(r) => {
            let _ = write!(out, "readout {} = {}", r.name.name, print_expr(&r.expr));
        }
        Stmt::Genotype(g) => {
            let _ = write!(out, "genotype {} ", g.name.name);
            block_head(out, &g.block, genotype_item);
        }
        Stmt::Experiment(e) => {
            let _ = write!(out, "experiment {}", e.name.name);
            if let Some(d) = &e.description {
                let _ = write!(out, " \"{}\"", d.text);
            }
            if let Some(p) = &e.extends {
                let _ = write!(out, " extends {}", p.name);
            }
            out.push(' ');
            block_head(out, &e.block, experiment_item);
        }
        Stmt::Expect(x) => {
            out.push_str("expect ");
            match &x.lhs {
                Lhs::Measure(m) => out.push_str(&measure(m)),
                Lhs::Occlusion {
                    a, b, readout, at, ..
                } => {
                    let _ = write!(
                        out,
                        "occlusion({}, {}, {} at {})",
                        a.name,
                        b.name,
                        readout.name,
                        time(at)
                    );
                }
                Lhs::Series {
                    experiment,
                    readout,
                    ..
                } => {
                    let _ = write!(out, "{}: {}", experiment.name, readout.name);
                }
            }
            let _ = write!(out, " {} ", x.op.as_str());
            match &x.rhs {
                Rhs::Measure(m) => {
                    if let Some(q) = &m.offset {
                        let sign = if m.minus { '-' } else { '+' };
                        let _ = write!(out, "{} {sign} ", quantity(q));
                    }
                    if let Some(f) = &m.factor {
                        let _ = write!(out, "{} * ", f.text);
                    }
                    out.push_str(&measure(&m.measure));
                }
                Rhs::Value(q) => out.push_str(&quantity(q)),
            }
            if let Some(t) = &x.tolerance {
                let _ = write!(
                    out,
                    " within {}{}",
                    t.value.text,
                    if t.percent { "%" } else { "" }
                );
            }
            if let Some(w) = &x.window {
                let _ = write!(
                    out,
                    " {} over [{}, {}]",
                    w.quantifier.as_str(),
                    time(&w.from),
                    time(&w.to)
                );
            }
            if let Some(w) = &x.weight {
                let _ = write!(out, " weight {}", w.text);
            }
            if let Some(m) = &x.margin {
                let _ = write!(
                    out,
                    " margin {}{}",
                    quantity(&m.value),
                    if m.percent { "%" } else { "" }
                );
            }
            if let Some(n) = &x.note {
                let _ = write!(out, " \"{}\"", n.text);
            }
        }
    }
}

fn side(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match &t.stoich {
            Some(n) => format!("{} {}", n.node, t.species.name),
            None => t.species.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn quantity(q: &Quantity) -> String {
    match &q.unit {
        Some(u) => format!("{} {}", q.number.text, unit(u)),
        None => q.number.text.clone(),
    }
}

/// `uM`, `/min`, `/uM/min`, `uM/s`.
fn unit(u: &Unit) -> String {
    let mut s = String::new();
    for (k, (atom, exp)) in u.factors.iter().enumerate() {
        if *exp < 0 || k > 0 {
            s.push('/');
        }
        s.push_str(atom.as_str());
    }
    s
}

/// Precedence of an atom: nothing binds tighter.
const ATOM: u8 = 5;

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(op, _, _) => op.precedence(),
        ExprKind::Neg(_) => NEG_PRECEDENCE,
        _ => ATOM,
    }
}

/// Prints an expression with the fewest parentheses that keep its tree.
pub fn print_expr(e: &Expr) -> String {
    let mut s = String::new();
    expr_to(&mut s, e);
    s
}

fn expr_to(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Number(q) => out.push_str(&quantity(q)),
        ExprKind::Name(id) => out.push_str(&id.name),
        ExprKind::Neg(inner) => {
            // Numbers in expressions are unsigned, so `-` before anything reads back as
            // the same negation; only looser operands need parentheses. The operand is
            // printed once; printing it again to decide would be exponential.
            let text = print_expr(inner);
            out.push('-');
            if precedence(inner) < NEG_PRECEDENCE {
                let _ = write!(out, "({text})");
            } else {
                out.push_str(&text);
            }
        }
        ExprKind::Binary(op, l, r) => {
            let p = op.precedence();
            // `^` is right-associative, the others left-associative: the operand on
            // the associating side may share the operator's precedence, the other not.
            let (left_parens, right_parens) = if *op == BinOp::Pow {
                (precedence(l) <= p, precedence(r) < NEG_PRECEDENCE)
            } else {
                (precedence(l) < p, precedence(r) <= p)
            };
            wrapped(out, l, left_parens);
            if *op == BinOp::Pow {
                out.push('^');
            } else {
                let _ = write!(out, " {} ", op.as_str());
            }
            wrapped(out, r, right_parens);
        }
        ExprKind::Call(name, args) => {
            out.push_str(&name.name);
            out.push('(');
            for (k, a) in args.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                expr_to(out, a);
            }
            out.push(')');
        }
    }
}

fn wrapped(out: &mut String, e: &Expr, parens: bool) {
    if parens {
        out.push('(');
        expr_to(out, e);
        out.push(')');
    } else {
        expr_to(out, e);
    }
}
