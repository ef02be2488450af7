//! The gas pass: adds `ethereum.useGas`, a charge at the head of every region, and the helpers.

use super::analyze::{ModuleInfo, USE_GAS_MODULE, USE_GAS_NAME};
use super::blocks::metered_blocks;
use super::error::MeteringError;
use super::helpers::{Helper, HelperKind, Layout};
use super::rules::CostRules;
use super::sections;
use wasm_encoder::reencode::{utils, Error, Reencode};
use wasm_encoder::{
    CodeSection, EntityType, FunctionSection, ImportSection, Module, SectionId, TypeSection,
    ValType,
};
use wasmparser::{
    CodeSectionReader, CustomSectionReader, FunctionBody, FunctionSectionReader,
    ImportSectionReader, Operator, TypeSectionReader,
};

/// What the gas pass produced.
pub(crate) struct GasOutput {
    /// The metered module.
    pub(crate) bytes: Vec<u8>,
    /// Where it charges gas.
    pub(crate) layout: Layout,
    /// Number of charges inserted.
    pub(crate) regions: u32,
}

/// Re-encodes a module with gas metering (see the module docs of [`super`]).
struct GasInjector<'a> {
    /// The cost table.
    rules: &'a dyn CostRules,
    /// Function index of the new `ethereum.useGas` import (= number of imported functions).
    use_gas: u32,
    /// Type index of `(param i64)`, appended to the type section.
    use_gas_type: u32,
    /// The helpers to append, in index order.
    helpers: Vec<Helper>,
    /// Whether the new types were emitted.
    types_done: bool,
    /// Whether the new import was emitted.
    import_done: bool,
    /// Number of charges inserted so far.
    regions: u32,
}

/// Meters `bytes`, described by `info`, with `rules`.
pub(crate) fn inject_gas(
    bytes: &[u8],
    info: &ModuleInfo,
    rules: &dyn CostRules,
) -> Result<GasOutput, MeteringError> {
    let needed = info.needed_helpers(rules)?;
    let first_helper = info
        .func_count()
        .checked_add(1)
        .ok_or(MeteringError::IndexOverflow("functions"))?;
    let use_gas_type =
        u32::try_from(info.types.len()).map_err(|_| MeteringError::IndexOverflow("types"))?;
    let mut injector = GasInjector {
        rules,
        use_gas: info.func_imports,
        use_gas_type,
        helpers: Helper::numbered(first_helper, &needed),
        types_done: false,
        import_done: false,
        regions: 0,
    };
    let mut module = Module::new();
    injector.parse_core_module(&mut module, super::parser(), bytes)?;
    Ok(GasOutput {
        bytes: module.finish(),
        layout: Layout {
            use_gas: Some(injector.use_gas),
            helpers: injector.helpers,
            // The gas pass adds no global.
            stack_height: info.layout.stack_height,
        },
        regions: injector.regions,
    })
}

impl GasInjector<'_> {
    /// Type index shared by all helpers, `(param i32) (result i32)`, right after useGas's type.
    fn helper_type(&self) -> u32 {
        self.use_gas_type + 1
    }

    /// Appends useGas's type and, if there are helpers, theirs.
    fn add_types(&mut self, types: &mut TypeSection) {
        types.ty().function([ValType::I64], []);
        if !self.helpers.is_empty() {
            types.ty().function([ValType::I32], [ValType::I32]);
        }
        self.types_done = true;
    }

    /// Appends the `ethereum.useGas` import.
    fn add_import(&mut self, imports: &mut ImportSection) {
        imports.import(
            USE_GAS_MODULE,
            USE_GAS_NAME,
            EntityType::Function(self.use_gas_type),
        );
        self.import_done = true;
    }

    /// The helper that charges for `kind`, if the rules price it.
    fn helper_for(&self, kind: HelperKind) -> Option<&Helper> {
        self.helpers.iter().find(|h| h.kind == kind)
    }
}

impl Reencode for GasInjector<'_> {
    type Error = MeteringError;

    fn function_index(&mut self, func: u32) -> Result<u32, Error<MeteringError>> {
        if func < self.use_gas {
            return Ok(func);
        }
        func.checked_add(1)
            .ok_or(Error::UserError(MeteringError::IndexOverflow("functions")))
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: TypeSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_type_section(self, types, section)?;
        self.add_types(types);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: ImportSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_import_section(self, imports, section)?;
        self.add_import(imports);
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: FunctionSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_function_section(self, functions, section)?;
        for _ in &self.helpers {
            functions.function(self.helper_type());
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: CodeSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        utils::parse_code_section(self, code, section)?;
        for helper in &self.helpers {
            code.function(&helper.kind.body(helper.gas_per_unit, self.use_gas));
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), Error<MeteringError>> {
        let mut f = self.new_function_with_parsed_locals(&func)?;
        let ops = func
            .get_operators_reader()?
            .into_iter_with_offsets()
            .collect::<Result<Vec<_>, _>>()?;
        let mut blocks = metered_blocks(&ops, self.rules)
            .map_err(Error::UserError)?
            .into_iter()
            .peekable();
        for (pos, (op, _)) in ops.into_iter().enumerate() {
            if let Some(block) = blocks.next_if(|b| b.start == pos) {
                f.instructions()
                    .i64_const(block.cost.into())
                    .call(self.use_gas);
                self.regions = self.regions.saturating_add(1);
            }
            let helper = HelperKind::for_op(&op).and_then(|kind| self.helper_for(kind));
            if let Some(helper) = helper {
                f.instructions().call(helper.func);
                if let Operator::MemoryGrow { .. } = op {
                    // The grow helper performs the grow itself.
                    continue;
                }
            }
            f.instruction(&self.instruction(op)?);
        }
        code.function(&f);
        Ok(())
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<MeteringError>> {
        if !self.types_done && sections::is_past(before, SectionId::Type) {
            let mut types = TypeSection::new();
            self.add_types(&mut types);
            module.section(&types);
        }
        if !self.import_done && sections::is_past(before, SectionId::Import) {
            let mut imports = ImportSection::new();
            self.add_import(&mut imports);
            module.section(&imports);
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        module: &mut Module,
        section: CustomSectionReader<'_>,
    ) -> Result<(), Error<MeteringError>> {
        sections::parse_custom_section(self, module, section)
    }
}
