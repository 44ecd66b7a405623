import { createTestConfig } from "../../vitest.base.ts";

export default createTestConfig();
