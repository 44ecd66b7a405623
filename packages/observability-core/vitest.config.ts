import { createTestConfig } from "../../vitest.base";

export default createTestConfig();
