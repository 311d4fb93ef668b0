"""The Admin GraphQL queries the connector sends (API version 2026-10).

Every query here is validated against Shopify's real schema in the tests.

Page sizes are the largest that keep a query's *requested* cost within
Shopify's 1,000-point limit for a single query: Shopify charges 1 point per
object and ``2 + first x (node cost)`` per connection, before it knows how
many nodes really come back. Nested variants make products expensive, so a
product page holds :data:`PRODUCTS_PAGE` products with up to
:data:`NESTED_VARIANTS` variants each; a product with more variants is
completed by :data:`PRODUCT_VARIANTS`.
"""

from __future__ import annotations

#: Shopify refuses a single query whose requested cost exceeds this.
MAX_QUERY_COST = 1000
#: Variants fetched inside a product page.
NESTED_VARIANTS = 10
#: Images (media) fetched per product.
NESTED_MEDIA = 5
#: Products per page: (1000 - 2 for the connection) // 54 points per product
#: (1 + options 1 + featuredMedia 3 + media 2 + 5 x 3 + variants 2 + 10 x 3).
PRODUCTS_PAGE = 18
#: Variants per follow-up page: Shopify's maximum ``first``; 1 + 2 + 250 x 3 = 753 points.
VARIANTS_PAGE = 250
#: Pages per page: a page node costs 1.
PAGES_PAGE = 250

VARIANT_FIELDS = """
  id title sku price compareAtPrice inventoryQuantity inventoryPolicy
  selectedOptions { name value }
  inventoryItem { tracked }
"""

PRODUCT_FIELDS = f"""
  id legacyResourceId title handle descriptionHtml vendor productType tags status
  onlineStoreUrl publishedAt updatedAt
  options(first: 3) {{ name values }}
  featuredMedia {{ preview {{ image {{ url }} }} }}
  media(first: {NESTED_MEDIA}) {{ nodes {{ preview {{ image {{ url }} }} }} }}
  variants(first: {NESTED_VARIANTS}) {{
    nodes {{ {VARIANT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
"""

PRODUCTS = f"""
query StoreChatProducts($first: Int!, $after: String, $query: String) {{
  products(first: $first, after: $after, query: $query, sortKey: ID) {{
    nodes {{ {PRODUCT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

PRODUCT = f"""
query StoreChatProduct($id: ID!) {{
  product(id: $id) {{ {PRODUCT_FIELDS} }}
}}
"""

PRODUCT_VARIANTS = f"""
query StoreChatProductVariants($id: ID!, $first: Int!, $after: String) {{
  product(id: $id) {{
    variants(first: $first, after: $after) {{
      nodes {{ {VARIANT_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""

SHOP = """
query StoreChatShop {
  shop {
    primaryDomain { url }
    shopPolicies { id title type body url updatedAt }
  }
}
"""

PAGES = """
query StoreChatPages($first: Int!, $after: String, $query: String) {
  pages(first: $first, after: $after, query: $query, sortKey: ID) {
    nodes { id title handle body isPublished updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

#: Order lookup. ``customer { id }`` and ``email`` are protected customer
#: data (level 1 / level 2): a shop that has not granted them answers with
#: field errors and nulls, and the lookup then cannot prove ownership.
ORDERS_BY_NAME = """
query StoreChatOrder($query: String!) {
  orders(first: 5, query: $query) {
    nodes {
      id legacyResourceId name email createdAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus statusPageUrl
      totalPriceSet { shopMoney { amount currencyCode } }
      customer { id }
      lineItems(first: 50) {
        nodes {
          title quantity variantTitle sku
          originalUnitPriceSet { shopMoney { amount } }
        }
      }
      fulfillments(first: 10) {
        status displayStatus
        trackingInfo(first: 10) { company number url }
      }
    }
  }
}
"""

#: What the paginated queries are expected to cost (checked in the tests), so
#: the client can wait for the bucket before the first page rather than be
#: throttled once to learn it. Shopify's own figure replaces it on the first answer.
REQUESTED_COSTS = {
    PRODUCTS: 2 + PRODUCTS_PAGE * 54,
    PRODUCT_VARIANTS: 1 + 2 + VARIANTS_PAGE * 3,
    PAGES: 2 + PAGES_PAGE * 1,
}

#: Every query this package sends, for the schema tests.
ALL = {
    "products": PRODUCTS,
    "product": PRODUCT,
    "product_variants": PRODUCT_VARIANTS,
    "shop": SHOP,
    "pages": PAGES,
    "orders_by_name": ORDERS_BY_NAME,
}
