//! The object-file driver (`meshc build`): the bundle's body plus a C
//! `main` that hands it to the runtime's `mesh_main`.

use super::{err, native_isa, CodegenError, Translator};
use crate::ir::Program;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};

/// Compiles `program` into a relocatable object file that defines `main`.
pub fn compile(program: &Program) -> Result<Vec<u8>, CodegenError> {
    let isa = native_isa(true)?;
    let builder = ObjectBuilder::new(
        isa,
        program.bundle.as_bytes().to_vec(),
        cranelift_module::default_libcall_names(),
    )
    .map_err(err)?;
    let mut module = ObjectModule::new(builder);
    let mut translator = Translator::new(&mut module)?;
    let body = translator.define_body(&mut module, program, "mesh_bundle_body", Linkage::Local)?;
    let name = translator.string(&mut module, &program.bundle)?;

    let ptr = module.target_config().pointer_type();
    let mut mesh_main = module.make_signature();
    for ty in [types::I32, ptr, ptr, ptr, ptr] {
        mesh_main.params.push(AbiParam::new(ty));
    }
    mesh_main.returns.push(AbiParam::new(types::I32));
    let mesh_main = module
        .declare_function("mesh_main", Linkage::Import, &mesh_main)
        .map_err(err)?;
    let mut sig = module.make_signature();
    sig.params.push(AbiParam::new(types::I32));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
    let main = module
        .declare_function("main", Linkage::Export, &sig)
        .map_err(err)?;

    let mut ctx = module.make_context();
    let mut fctx = cranelift_frontend::FunctionBuilderContext::new();
    ctx.func.signature = sig;
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let argc = b.block_params(entry)[0];
        let argv = b.block_params(entry)[1];
        let callee = module.declare_func_in_func(mesh_main, b.func);
        let body_ref = module.declare_func_in_func(body, b.func);
        let body_addr = b.ins().func_addr(ptr, body_ref);
        let name_gv = module.declare_data_in_func(name, b.func);
        let name_ptr = b.ins().symbol_value(ptr, name_gv);
        let name_len = b.ins().iconst(ptr, program.bundle.len() as i64);
        let call = b
            .ins()
            .call(callee, &[argc, argv, name_ptr, name_len, body_addr]);
        let code = b.inst_results(call)[0];
        b.ins().return_(&[code]);
        b.finalize();
    }
    module
        .define_function(main, &mut ctx)
        .map_err(|e| CodegenError(format!("{e:?}")))?;
    let product = module.finish();
    product.emit().map_err(err)
}
