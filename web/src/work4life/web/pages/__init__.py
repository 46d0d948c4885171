"""The pages, one module per area; each is an APIRouter included by `create_app`."""
