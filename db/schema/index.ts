export * from "./tenants";
export * from "./staff";
export * from "./customers";
export * from "./interactions";
export * from "./audit";
export * from "./api-keys";
export * from "./identity";
export * from "./notifications";
