//! Machine code for straight-line floating-point programs, compiled with Cranelift.
//!
//! pathrules evaluates a model's right-hand side by running a postfix program on a
//! frame of values (species, inputs, parameters, lets, constants). This crate compiles
//! such a program to one native function, at load time, so that the same arithmetic
//! runs without an interpreter's dispatch. It is the one place of the project that
//! needs `unsafe`: the compiled code is called through a function pointer. Soundness
//! rests on two checks made here, not on the caller: `Kernel::compile` refuses a
//! program that reads or writes outside the lengths it declares, or whose stack
//! underflows, and `Kernel::run` refuses slices of other lengths.
//!
//! The arithmetic is the interpreter's, operation for operation: `+ − × ÷` and negation
//! are the IEEE operations (Cranelift never fuses a multiply and an add), and every
//! other function is called through the very function pointer the caller gives, so a
//! compiled program gives bit-for-bit the interpreter's results.

use cranelift_codegen::Context;
use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, Signature, UserFuncName, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module, default_libcall_names};

/// A function of one argument the program may call.
pub type F1 = extern "C" fn(f64) -> f64;
/// A function of two arguments.
pub type F2 = extern "C" fn(f64, f64) -> f64;
/// A function of three arguments.
pub type F3 = extern "C" fn(f64, f64, f64) -> f64;
/// A function of a value and an integer (an integer power).
pub type FI = extern "C" fn(f64, i32) -> f64;

/// One operation of a postfix program on a stack of f64 values.
#[derive(Clone, Copy, Debug)]
pub enum Op {
    /// Push frame[slot].
    Load(u32),
    /// Push a constant.
    Const(f64),
    /// Pop b, pop a, push a ∘ b.
    Add,
    Sub,
    Mul,
    Div,
    /// Swap the top two values.
    Swap,
    /// top = −top.
    Neg,
    /// top = 1 if top ≥ 0, else 0 (NaN gives 0).
    Step,
    /// top = f(top).
    Call1(F1),
    /// Pop b, then top = f(top, b).
    Call2(F2),
    /// Pop c, pop b, then top = f(top, b, c).
    Call3(F3),
    /// top = f(top, n).
    CallI(FI, i32),
}

/// One statement of a kernel.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// frame[slot] = the program's value; later loads of the slot read it.
    Set { slot: u32, code: Vec<Op> },
    /// Unless gates[gate] is 0: out[i] += c · (the program's value) for each (i, c) of
    /// `effects`, in order.
    Add {
        gate: u32,
        code: Vec<Op>,
        effects: Vec<(u32, f64)>,
    },
}

/// The shape a kernel was compiled for: the lengths of the slices it is run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub frame: usize,
    pub out: usize,
    pub gates: usize,
}

/// A compiled kernel: `out` set to zero, then every statement in order.
pub struct Kernel {
    function: extern "C" fn(*mut f64, *mut f64, *const u8),
    shape: Shape,
    /// Owns the code's memory; freed on drop.
    module: Option<JITModule>,
}

// SAFETY: after `finalize_definitions` the module is never touched again until it is
// dropped, and the code it holds is immutable and reentrant: it reads and writes only
// the slices `run` is given (checked against `shape` at compile time and on each call).
unsafe impl Send for Kernel {}
// SAFETY: as for Send; `run` takes `&self` and mutates nothing of the kernel.
unsafe impl Sync for Kernel {}

impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the only pointer into the module is `function`, which is dropped
            // with `self` and never called again.
            unsafe { module.free_memory() };
        }
    }
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("shape", &self.shape)
            .finish()
    }
}

impl Kernel {
    /// Compiles `stmts` for slices of `shape`. An error says what in the program is out
    /// of bounds or malformed, or what Cranelift refused (a host it cannot target).
    pub fn compile(stmts: &[Stmt], shape: Shape) -> Result<Kernel, String> {
        validate(stmts, shape)?;
        let mut flags = settings::builder();
        let set = |flags: &mut settings::Builder, k: &str, v: &str| {
            flags
                .set(k, v)
                .map_err(|e| format!("cranelift setting {k}: {e}"))
        };
        set(&mut flags, "opt_level", "speed")?;
        // The IR is built from validated programs by one straight-line emitter; its
        // verifier would cost a third of the compile time.
        set(&mut flags, "enable_verifier", "false")?;
        set(&mut flags, "use_colocated_libcalls", "false")?;
        set(&mut flags, "is_pic", "false")?;
        let isa = cranelift_native::builder()
            .map_err(|e| format!("this host is not supported: {e}"))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("cranelift: {e}"))?;
        let call_conv = isa.default_call_conv();
        let ptr = isa.pointer_type();
        let frontend = isa.frontend_config();
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let mut sig = Signature::new(call_conv);
        for _ in 0..3 {
            sig.params.push(AbiParam::new(ptr));
        }
        let id = module
            .declare_function("kernel", Linkage::Local, &sig)
            .map_err(|e| format!("cranelift: {e}"))?;
        let mut ctx = Context::new();
        ctx.func = Function::with_name_signature(UserFuncName::user(0, id.as_u32()), sig);
        let mut fctx = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let trusted = MemFlagsData::trusted();
            let params = b.block_params(entry).to_vec();
            let (frame, out, gates) = (params[0], params[1], params[2]);
            let zero = b.ins().f64const(0.0);
            let mut emit = Emitter {
                frame,
                trusted,
                known: vec![None; shape.frame],
                touched: Vec::new(),
                call_conv,
                ptr,
            };
            // One basic block, so compiling costs time linear in the program: a gate
            // selects between the term and +0, which leaves every sum's bits as they
            // would be without the term (a sum that starts at +0 is never −0).
            for stmt in stmts {
                // A slot is read from memory once per statement, never held across
                // statements: a value live across the whole kernel (a species that
                // reactions far apart read) would make register allocation quadratic.
                emit.forget();
                match stmt {
                    Stmt::Set { slot, code } => {
                        let v = emit.program(&mut b, code);
                        b.ins().store(trusted, v, frame, offset(*slot));
                    }
                    Stmt::Add {
                        gate,
                        code,
                        effects,
                    } => {
                        let v = emit.program(&mut b, code);
                        let on = b.ins().uload8(
                            types::I32,
                            trusted,
                            gates,
                            i32::try_from(*gate).unwrap_or(i32::MAX),
                        );
                        for &(i, c) in effects {
                            let c = b.ins().f64const(c);
                            let term = b.ins().fmul(c, v);
                            let term = b.ins().select(on, term, zero);
                            let sum = b.ins().load(types::F64, trusted, out, offset(i));
                            let sum = b.ins().fadd(sum, term);
                            b.ins().store(trusted, sum, out, offset(i));
                        }
                    }
                }
            }
            b.ins().return_(&[]);
            b.seal_all_blocks();
            b.finalize(frontend);
        }
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("cranelift: {e:?}"))?;
        module
            .finalize_definitions()
            .map_err(|e| format!("cranelift: {e}"))?;
        let code = module.get_finalized_function(id);
        // SAFETY: `code` is the entry of the function just defined with the signature
        // (pointer, pointer, pointer) -> () in the host's default calling convention,
        // which is what `extern "C"` means on every host Cranelift targets natively.
        let function = unsafe {
            std::mem::transmute::<*const u8, extern "C" fn(*mut f64, *mut f64, *const u8)>(code)
        };
        Ok(Kernel {
            function,
            shape,
            module: Some(module),
        })
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Runs the kernel: `out` is set to zero, then every statement runs in order on
    /// `frame`. Panics if a slice's length is not the kernel's shape.
    pub fn run(&self, frame: &mut [f64], out: &mut [f64], gates: &[u8]) {
        assert!(
            frame.len() == self.shape.frame
                && out.len() == self.shape.out
                && gates.len() == self.shape.gates,
            "a kernel for {:?} run on a frame of {}, an output of {} and {} gates",
            self.shape,
            frame.len(),
            out.len(),
            gates.len()
        );
        out.fill(0.0);
        (self.function)(frame.as_mut_ptr(), out.as_mut_ptr(), gates.as_ptr());
    }
}

use cranelift_codegen::ir::Function;

fn offset(slot: u32) -> i32 {
    // `validate` holds every slot below i32::MAX / 8.
    (slot as i32) * 8
}

/// Checks that every slot, output and gate is within `shape` and that every program
/// leaves exactly one value without ever popping an empty stack.
fn validate(stmts: &[Stmt], shape: Shape) -> Result<(), String> {
    let limit = (i32::MAX / 8) as usize;
    if shape.frame > limit || shape.out > limit {
        return Err(format!(
            "a frame of {} values is too large to address",
            shape.frame
        ));
    }
    for (k, stmt) in stmts.iter().enumerate() {
        let code = match stmt {
            Stmt::Set { slot, code } => {
                if *slot as usize >= shape.frame {
                    return Err(format!(
                        "statement {k} sets slot {slot} of a frame of {}",
                        shape.frame
                    ));
                }
                code
            }
            Stmt::Add {
                gate,
                code,
                effects,
            } => {
                if *gate as usize >= shape.gates {
                    return Err(format!(
                        "statement {k} reads gate {gate} of {}",
                        shape.gates
                    ));
                }
                if let Some((i, _)) = effects.iter().find(|(i, _)| *i as usize >= shape.out) {
                    return Err(format!("statement {k} adds to output {i} of {}", shape.out));
                }
                code
            }
        };
        let mut depth = 0usize;
        for op in code {
            let (pops, pushes) = match op {
                Op::Load(slot) => {
                    if *slot as usize >= shape.frame {
                        return Err(format!(
                            "statement {k} reads slot {slot} of a frame of {}",
                            shape.frame
                        ));
                    }
                    (0, 1)
                }
                Op::Const(_) => (0, 1),
                Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Call2(_) => (2, 1),
                Op::Neg | Op::Step | Op::Call1(_) | Op::CallI(..) => (1, 1),
                Op::Swap => (2, 2),
                Op::Call3(_) => (3, 1),
            };
            if depth < pops {
                return Err(format!("statement {k} pops an empty stack"));
            }
            depth = depth - pops + pushes;
        }
        if depth != 1 {
            return Err(format!("statement {k} leaves {depth} values, not one"));
        }
    }
    Ok(())
}

/// Translates stack programs to SSA values, remembering what each frame slot holds.
struct Emitter {
    frame: Value,
    trusted: MemFlagsData,
    /// The value of each slot loaded in this statement, so a slot is read once in it.
    known: Vec<Option<Value>>,
    /// The slots `known` holds, to forget them in time linear in the statement.
    touched: Vec<u32>,
    call_conv: cranelift_codegen::isa::CallConv,
    ptr: types::Type,
}

impl Emitter {
    fn forget(&mut self) {
        for slot in self.touched.drain(..) {
            self.known[slot as usize] = None;
        }
    }

    fn program(&mut self, b: &mut FunctionBuilder, code: &[Op]) -> Value {
        let mut stack: Vec<Value> = Vec::new();
        for op in code {
            match *op {
                Op::Load(slot) => {
                    let v = match self.known[slot as usize] {
                        Some(v) => v,
                        None => {
                            let v =
                                b.ins()
                                    .load(types::F64, self.trusted, self.frame, offset(slot));
                            self.known[slot as usize] = Some(v);
                            self.touched.push(slot);
                            v
                        }
                    };
                    stack.push(v);
                }
                Op::Const(x) => stack.push(b.ins().f64const(x)),
                Op::Add | Op::Sub | Op::Mul | Op::Div => {
                    let (y, x) = (pop(&mut stack), pop(&mut stack));
                    stack.push(match op {
                        Op::Add => b.ins().fadd(x, y),
                        Op::Sub => b.ins().fsub(x, y),
                        Op::Mul => b.ins().fmul(x, y),
                        _ => b.ins().fdiv(x, y),
                    });
                }
                Op::Neg => {
                    let x = pop(&mut stack);
                    stack.push(b.ins().fneg(x));
                }
                Op::Swap => {
                    let n = stack.len();
                    stack.swap(n - 1, n - 2);
                }
                Op::Step => {
                    let x = pop(&mut stack);
                    let zero = b.ins().f64const(0.0);
                    let one = b.ins().f64const(1.0);
                    let ge = b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, zero);
                    stack.push(b.ins().select(ge, one, zero));
                }
                Op::Call1(f) => {
                    let x = pop(&mut stack);
                    let v = self.call(b, f as usize, &[x], &[types::F64]);
                    stack.push(v);
                }
                Op::Call2(f) => {
                    let (y, x) = (pop(&mut stack), pop(&mut stack));
                    let v = self.call(b, f as usize, &[x, y], &[types::F64; 2]);
                    stack.push(v);
                }
                Op::Call3(f) => {
                    let (z, y, x) = (pop(&mut stack), pop(&mut stack), pop(&mut stack));
                    let v = self.call(b, f as usize, &[x, y, z], &[types::F64; 3]);
                    stack.push(v);
                }
                Op::CallI(f, n) => {
                    let x = pop(&mut stack);
                    let n = b.ins().iconst(types::I32, i64::from(n));
                    let v = self.call(b, f as usize, &[x, n], &[types::F64, types::I32]);
                    stack.push(v);
                }
            }
        }
        pop(&mut stack)
    }

    /// Calls the function at `address` with `args` of types `params`, returning an f64.
    fn call(
        &self,
        b: &mut FunctionBuilder,
        address: usize,
        args: &[Value],
        params: &[types::Type],
    ) -> Value {
        let mut sig = Signature::new(self.call_conv);
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.push(AbiParam::new(types::F64));
        let sig = b.import_signature(sig);
        let callee = b.ins().iconst(self.ptr, address as i64);
        let call = b.ins().call_indirect(sig, callee, args);
        b.inst_results(call)[0]
    }
}

fn pop(stack: &mut Vec<Value>) -> Value {
    // `validate` proved that no program pops an empty stack.
    stack.pop().expect("a validated program")
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn half(x: f64) -> f64 {
        x / 2.0
    }

    extern "C" fn mm(x: f64, v: f64, k: f64) -> f64 {
        v * x / (k + x)
    }

    extern "C" fn powi(x: f64, n: i32) -> f64 {
        x.powi(n)
    }

    #[test]
    fn a_kernel_computes_what_its_program_says() {
        // frame: [x, y, let]; let = x·y − 1; out0 += 2·let, out1 += −1·mm(x, y, 3) unless
        // gated off; out0 += half(x)^3 · step(y).
        let stmts = vec![
            Stmt::Set {
                slot: 2,
                code: vec![Op::Load(0), Op::Load(1), Op::Mul, Op::Const(1.0), Op::Sub],
            },
            Stmt::Add {
                gate: 0,
                code: vec![Op::Load(2)],
                effects: vec![(0, 2.0)],
            },
            Stmt::Add {
                gate: 1,
                code: vec![Op::Load(0), Op::Load(1), Op::Const(3.0), Op::Call3(mm)],
                effects: vec![(1, -1.0)],
            },
            Stmt::Add {
                gate: 0,
                code: vec![
                    Op::Load(0),
                    Op::Call1(half),
                    Op::CallI(powi, 3),
                    Op::Load(1),
                    Op::Step,
                    Op::Mul,
                ],
                effects: vec![(0, 1.0)],
            },
        ];
        let shape = Shape {
            frame: 3,
            out: 2,
            gates: 2,
        };
        let k = Kernel::compile(&stmts, shape).expect("compiles");
        let (x, y) = (1.5f64, 4.0f64);
        let mut frame = [x, y, f64::NAN];
        let mut out = [f64::NAN; 2];
        k.run(&mut frame, &mut out, &[1, 1]);
        let l = x * y - 1.0;
        assert_eq!(frame[2], l);
        assert_eq!(out[0], 0.0 + 2.0 * l + 1.0 * (half(x).powi(3) * 1.0));
        assert_eq!(out[1], -mm(x, y, 3.0));
        k.run(&mut frame, &mut out, &[1, 0]);
        assert_eq!(out[1], 0.0, "a gated statement adds nothing");
        // Runs from several threads at once.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let mut frame = [x, y, 0.0];
                    let mut out = [0.0; 2];
                    k.run(&mut frame, &mut out, &[1, 1]);
                    assert_eq!(out[1], -mm(x, y, 3.0));
                });
            }
        });
    }

    #[test]
    fn programs_out_of_bounds_or_malformed_are_refused() {
        let shape = Shape {
            frame: 2,
            out: 1,
            gates: 1,
        };
        let set = |slot, code| vec![Stmt::Set { slot, code }];
        let err = |stmts: Vec<Stmt>| Kernel::compile(&stmts, shape).unwrap_err();
        assert!(err(set(2, vec![Op::Const(1.0)])).contains("sets slot 2"));
        assert!(err(set(0, vec![Op::Load(5)])).contains("reads slot 5"));
        assert!(err(set(0, vec![Op::Add])).contains("pops an empty stack"));
        assert!(err(set(0, vec![Op::Const(1.0), Op::Const(2.0)])).contains("leaves 2"));
        let add = Stmt::Add {
            gate: 3,
            code: vec![Op::Const(1.0)],
            effects: vec![],
        };
        assert!(err(vec![add]).contains("gate 3"));
        let add = Stmt::Add {
            gate: 0,
            code: vec![Op::Const(1.0)],
            effects: vec![(1, 1.0)],
        };
        assert!(err(vec![add]).contains("output 1"));
    }

    #[test]
    #[should_panic(expected = "run on a frame of 1")]
    fn a_kernel_refuses_slices_of_another_shape() {
        let shape = Shape {
            frame: 2,
            out: 1,
            gates: 0,
        };
        let k = Kernel::compile(&[], shape).unwrap();
        k.run(&mut [0.0], &mut [0.0], &[]);
    }
}
