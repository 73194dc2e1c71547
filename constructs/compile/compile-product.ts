import type { Product as ManifestProduct } from "../manifest/schema";
import type { Product } from "../product";

export function compileProduct(product: Product): ManifestProduct {
  const declaration = product.declaration!;
  return {
    name: product.productName,
    title: declaration.title,
    description: declaration.description,
    declaredAt: product.path,
    apis: declaration.apis.map((api) => api.apiId).sort(),
    plans: declaration.plans.map((plan) => plan.planName).sort(),
    approval: declaration.approval,
    visibility: declaration.visibility,
  };
}
