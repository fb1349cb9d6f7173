//! The object-file driver (`meshc build`): the bundle's body plus a C
//! `main` that hands it, with the file's token declarations (which a
//! standalone executable adds to its world's registry before it runs, as
//! `meshc run` does), to the runtime's `mesh_main_tokens`.

use super::{entry_signature, err, native_isa, CodegenError, Translator};
use crate::ir::Program;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder};
use cranelift_frontend::FunctionBuilder;
use cranelift_module::{DataDescription, DataId, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use mesh_core::entry::Entry;
use mesh_core::registry::TokenDeclaration;

/// Compiles `program` into a relocatable object file that defines `main`,
/// with no declared tokens.
pub fn compile(program: &Program) -> Result<Vec<u8>, CodegenError> {
    compile_standalone(program, &[])
}

/// Compiles `program` into a relocatable, position-independent object file
/// that defines `main`: it calls `mesh_main_tokens` with the process's
/// arguments, the bundle's name, its body and the table of `tokens`.
pub fn compile_standalone(
    program: &Program,
    tokens: &[TokenDeclaration],
) -> Result<Vec<u8>, CodegenError> {
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
    let table = token_table(&mut module, &mut translator, tokens)?;

    let ptr = module.target_config().pointer_type();
    let main_tokens = Entry::MainTokens;
    let entry_sig = entry_signature(&module, main_tokens);
    let entry = module
        .declare_function(main_tokens.symbol(), Linkage::Import, &entry_sig)
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
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let argc = b.block_params(block)[0];
        let argv = b.block_params(block)[1];
        let callee = module.declare_func_in_func(entry, b.func);
        let body_ref = module.declare_func_in_func(body, b.func);
        let body_addr = b.ins().func_addr(ptr, body_ref);
        let name_gv = module.declare_data_in_func(name, b.func);
        let name_ptr = b.ins().symbol_value(ptr, name_gv);
        let name_len = b.ins().iconst(ptr, program.bundle.len() as i64);
        let table_ptr = match table {
            Some(id) => {
                let gv = module.declare_data_in_func(id, b.func);
                b.ins().symbol_value(ptr, gv)
            }
            None => b.ins().iconst(ptr, 0),
        };
        let count = b.ins().iconst(ptr, tokens.len() as i64);
        let call = b.ins().call(
            callee,
            &[argc, argv, name_ptr, name_len, body_addr, table_ptr, count],
        );
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

/// Defines the `MeshToken` table (runtime/src/abi.rs): per entry, with `p`
/// the pointer size, the symbol's address at 0 and length at `p`, the
/// decimals (32 bits) at `2p`, the address text's address at `3p` and
/// length at `4p`. `None` when there is no token.
fn token_table(
    module: &mut ObjectModule,
    translator: &mut Translator,
    tokens: &[TokenDeclaration],
) -> Result<Option<DataId>, CodegenError> {
    if tokens.is_empty() {
        return Ok(None);
    }
    let p = usize::from(module.target_config().pointer_bytes());
    let entry = 5 * p;
    let big_endian = module.isa().endianness() == cranelift_codegen::ir::Endianness::Big;
    let mut bytes = vec![0u8; entry * tokens.len()];
    let mut data = DataDescription::new();
    data.set_align(p as u64);
    for (i, token) in tokens.iter().enumerate() {
        let base = i * entry;
        let symbol = translator.string(module, &token.symbol)?;
        let gv = module.declare_data_in_data(symbol, &mut data);
        data.write_data_addr(offset(base)?, gv, 0);
        put(
            &mut bytes,
            base + p,
            p,
            token.symbol.len() as u64,
            big_endian,
        );
        put(
            &mut bytes,
            base + 2 * p,
            4,
            u64::from(token.decimals),
            big_endian,
        );
        if let Some(address) = &token.address {
            let text = translator.string(module, address)?;
            let gv = module.declare_data_in_data(text, &mut data);
            data.write_data_addr(offset(base + 3 * p)?, gv, 0);
            put(
                &mut bytes,
                base + 4 * p,
                p,
                address.len() as u64,
                big_endian,
            );
        }
    }
    data.define(bytes.into_boxed_slice());
    let id = module
        .declare_data("mesh_declared_tokens", Linkage::Local, false, false)
        .map_err(err)?;
    module.define_data(id, &data).map_err(err)?;
    Ok(Some(id))
}

fn offset(at: usize) -> Result<u32, CodegenError> {
    u32::try_from(at).map_err(|_| CodegenError("the token table is too large".to_string()))
}

/// Writes the low `width` bytes of `value` at `at`, in the target's order.
fn put(bytes: &mut [u8], at: usize, width: usize, value: u64, big_endian: bool) {
    let all = if big_endian {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    };
    let chosen = if big_endian {
        &all[8 - width..]
    } else {
        &all[..width]
    };
    if let Some(slot) = bytes.get_mut(at..at + width) {
        slot.copy_from_slice(chosen);
    }
}
