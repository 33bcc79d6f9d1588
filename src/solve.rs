// placeholder until solve/ lands
pub trait Problem: Sync {
    fn dim(&self) -> usize;
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]);
    fn jacobian(&self, t: f64, y: &[f64], jac: &mut [f64]);
    fn component_name(&self, i: usize) -> &str;
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Bdf,
    Dopri5,
    Dop853,
}
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub method: Method,
    pub rtol: f64,
    pub atol: f64,
    pub max_steps: usize,
    pub initial_step: Option<f64>,
}
pub struct Stats {
    pub steps: usize,
    pub rhs_evals: usize,
    pub jac_evals: usize,
}
pub struct Trajectory {
    pub times: Vec<f64>,
    pub states: Vec<Vec<f64>>,
    pub stats: Stats,
}
#[derive(Debug)]
pub struct SolveError {
    pub time: f64,
    pub method: Method,
}
impl std::fmt::Display for SolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "x")
    }
}
pub fn solve(
    _p: &dyn Problem,
    _t0: f64,
    _y0: &[f64],
    _times: &[f64],
    _s: &Settings,
) -> Result<Trajectory, SolveError> {
    Err(SolveError {
        time: 0.0,
        method: Method::Bdf,
    })
}
