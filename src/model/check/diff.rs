//! Hypotheses as diffs: `override` replaces a declaration from anywhere in the model
//! (usually an import) and `remove` takes a reaction, or a species with the reactions
//! that touch only it, away. Applied to the statements before anything is declared,
//! so the rest of the checker sees one consistent model.

use super::*;

/// What an `override` replaces, found by kind and name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Param,
    Let,
    Input,
    Species,
    Reaction,
}

impl Target {
    fn of(stmt: &Stmt) -> Option<(Target, &ast::Ident)> {
        match stmt {
            Stmt::Param(p) => Some((Target::Param, &p.name)),
            Stmt::Let(l) => Some((Target::Let, &l.name)),
            Stmt::Input(i) => Some((Target::Input, &i.name)),
            Stmt::Species(inits) => inits.first().map(|s| (Target::Species, &s.name)),
            Stmt::Reaction(r) => r.label.as_ref().map(|l| (Target::Reaction, l)),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Target::Param => "parameter",
            Target::Let => "let",
            Target::Input => "input",
            Target::Species => "species",
            Target::Reaction => "reaction label",
        }
    }
}

/// Names declared by a statement of the given kind, with their spans.
fn declared(stmt: &Stmt, kind: Target) -> Vec<&ast::Ident> {
    match (stmt, kind) {
        (Stmt::Param(p), Target::Param) => vec![&p.name],
        (Stmt::Let(l), Target::Let) => vec![&l.name],
        (Stmt::Input(i), Target::Input) => vec![&i.name],
        (Stmt::Species(inits), Target::Species) => inits.iter().map(|s| &s.name).collect(),
        (Stmt::Reaction(r), Target::Reaction) => r.label.iter().collect(),
        _ => Vec::new(),
    }
}

impl Checker {
    /// The statements with every `override` and `remove` applied.
    pub(super) fn apply_diffs(&mut self, stmts: &[&Stmt]) -> Vec<Stmt> {
        let mut out: Vec<Stmt> = stmts
            .iter()
            .filter(|s| !matches!(s, Stmt::Override(_) | Stmt::Remove(_)))
            .map(|s| (*s).clone())
            .collect();
        let mut overridden: Vec<(String, Target, Span)> = Vec::new();
        for stmt in stmts {
            let Stmt::Override(o) = stmt else { continue };
            let Some((kind, name)) = Target::of(&o.stmt) else {
                continue;
            };
            // A file that imports a hypothesis may override what the hypothesis itself
            // overrides (a fit file sets fitted values on top of it): files come in import
            // order, so the later file's override stands. Twice in one file is an error.
            if let Some((_, _, first)) = overridden
                .iter()
                .find(|(n, k, at)| *k == kind && *n == name.name && at.file == name.span.file)
            {
                self.errors.push(CheckError::Duplicate {
                    span: name.span,
                    first: *first,
                    name: name.name.clone(),
                });
                continue;
            }
            overridden.push((name.name.clone(), kind, name.span));
            if !self.replace(&mut out, kind, &o.stmt, name) {
                let candidates: Vec<String> = out
                    .iter()
                    .flat_map(|s| declared(s, kind))
                    .map(|n| n.name.clone())
                    .collect();
                self.errors.push(CheckError::NotInModel {
                    span: name.span,
                    kind: kind.describe(),
                    verb: "override",
                    name: name.name.clone(),
                    suggestion: self
                        .suggestions
                        .suggest(&name.name, candidates.iter().map(String::as_str)),
                });
            }
        }
        for stmt in stmts {
            let Stmt::Remove(r) = stmt else { continue };
            match &r.target {
                ast::RemoveTarget::Reaction(label) => self.remove_reaction(&mut out, label),
                ast::RemoveTarget::Species(name) => self.remove_species(&mut out, name),
                ast::RemoveTarget::Chain(chain) => self.remove_chain(&mut out, chain),
            }
        }
        out
    }

    /// Puts `new` where the declaration it overrides stands; false if there is none.
    fn replace(&mut self, out: &mut [Stmt], kind: Target, new: &Stmt, name: &ast::Ident) -> bool {
        for stmt in out.iter_mut() {
            if !declared(stmt, kind).iter().any(|n| n.name == name.name) {
                continue;
            }
            match (stmt, new) {
                (Stmt::Species(inits), Stmt::Species(new_inits)) => {
                    if let (Some(slot), Some(init)) = (
                        inits.iter_mut().find(|s| s.name.name == name.name),
                        new_inits.first(),
                    ) {
                        *slot = init.clone();
                    }
                }
                (slot, new) => *slot = new.clone(),
            }
            return true;
        }
        false
    }

    /// Removes the chain with the same names and signs.
    fn remove_chain(&mut self, out: &mut Vec<Stmt>, chain: &ast::Chain) {
        let key = |c: &ast::Chain| {
            let mut k = vec![c.first.name.clone()];
            for l in &c.links {
                k.push(format!("{:?}", l.sign));
                k.push(l.target.name.clone());
            }
            k
        };
        let wanted = key(chain);
        let before = out.len();
        out.retain(|s| !matches!(s, Stmt::Chain(c) if key(c) == wanted));
        if out.len() == before {
            self.errors.push(CheckError::NotInModel {
                span: chain.span,
                kind: "chain",
                verb: "remove",
                name: crate::syntax::print_stmt(&Stmt::Chain(chain.clone()))
                    .trim_start_matches("chain ")
                    .to_string(),
                suggestion: None,
            });
        }
    }

    fn remove_reaction(&mut self, out: &mut Vec<Stmt>, label: &ast::Ident) {
        let before = out.len();
        out.retain(|s| !matches!(s, Stmt::Reaction(r) if r.label.as_ref().is_some_and(|l| l.name == label.name)));
        if out.len() == before {
            let labels: Vec<String> = out
                .iter()
                .flat_map(|s| declared(s, Target::Reaction))
                .map(|n| n.name.clone())
                .collect();
            self.errors.push(CheckError::Unknown {
                span: label.span,
                what: "reaction label",
                name: label.name.clone(),
                suggestion: self
                    .suggestions
                    .suggest(&label.name, labels.iter().map(String::as_str)),
            });
        }
    }

    /// Removes a species and the reactions whose every term is that species. Any
    /// other use left is an error pointing at it, and then nothing is removed, so
    /// the uses are not reported again as unknown names.
    fn remove_species(&mut self, out: &mut Vec<Stmt>, name: &ast::Ident) {
        let declared_here = out.iter().any(|s| {
            declared(s, Target::Species)
                .iter()
                .any(|n| n.name == name.name)
        });
        if !declared_here {
            let names: Vec<String> = out
                .iter()
                .flat_map(|s| declared(s, Target::Species))
                .map(|n| n.name.clone())
                .collect();
            self.errors.push(CheckError::Unknown {
                span: name.span,
                what: "species",
                name: name.name.clone(),
                suggestion: self
                    .suggestions
                    .suggest(&name.name, names.iter().map(String::as_str)),
            });
            return;
        }
        let mut kept: Vec<Stmt> = Vec::with_capacity(out.len());
        for stmt in out.iter() {
            match stmt {
                Stmt::Species(inits) => {
                    let rest: Vec<ast::SpeciesInit> = inits
                        .iter()
                        .filter(|s| s.name.name != name.name)
                        .cloned()
                        .collect();
                    if !rest.is_empty() {
                        kept.push(Stmt::Species(rest));
                    }
                }
                // A reaction goes when every term is the removed species (its
                // synthesis and its loss); one that involves other species is a use.
                Stmt::Reaction(r) => {
                    let mut terms = r.reactants.iter().chain(&r.products).peekable();
                    let only_it =
                        terms.peek().is_some() && terms.all(|t| t.species.name == name.name);
                    if !only_it {
                        kept.push(stmt.clone());
                    }
                }
                _ => kept.push(stmt.clone()),
            }
        }
        match kept.iter().find_map(|s| first_use(s, &name.name)) {
            Some(used) => self.errors.push(CheckError::RemoveStillUsed {
                span: name.span,
                name: name.name.clone(),
                used,
            }),
            None => *out = kept,
        }
    }
}

/// Where a statement still uses `name`: a reaction term or rate, a let, a chain, a
/// readout or a genotype's knockout.
fn first_use(stmt: &Stmt, name: &str) -> Option<Span> {
    let named = |id: &ast::Ident| (id.name == name).then_some(id.span);
    match stmt {
        Stmt::Reaction(r) => r
            .reactants
            .iter()
            .chain(&r.products)
            .find_map(|t| named(&t.species))
            .or_else(|| match &r.rate {
                ast::RateLaw::MassAction { forward, reverse } => expr_use(forward, name)
                    .or_else(|| reverse.as_ref().and_then(|e| expr_use(e, name))),
                ast::RateLaw::Explicit(e) => expr_use(e, name),
            }),
        Stmt::Let(l) => expr_use(&l.expr, name),
        Stmt::Readout(r) => expr_use(&r.expr, name),
        Stmt::Chain(c) => named(&c.first).or_else(|| c.links.iter().find_map(|l| named(&l.target))),
        Stmt::Genotype(g) => g.block.items().find_map(|item| match item {
            ast::GenotypeItem::Knockout(s) => named(s),
            _ => None,
        }),
        _ => None,
    }
}

/// The first place `name` is read in an expression.
fn expr_use(e: &ast::Expr, name: &str) -> Option<Span> {
    match &e.kind {
        ast::ExprKind::Number(_) => None,
        ast::ExprKind::Name(id) => (id.name == name).then_some(id.span),
        ast::ExprKind::Neg(a) => expr_use(a, name),
        ast::ExprKind::Binary(_, a, b) => expr_use(a, name).or_else(|| expr_use(b, name)),
        ast::ExprKind::Call(_, args) => args.iter().find_map(|a| expr_use(a, name)),
    }
}
